package io.statewarden.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

/**
 * Whatever the text, the loader answers with a protocol or a ProtocolLoadException; nothing else.
 */
class LoaderFuzzProperties {
  @Property(tries = 1000)
  void arbitraryTextNeverEscapes(@ForAll @StringLength(max = 400) String text) {
    load(text);
  }

  @Property(tries = 1500)
  void mutatedDefinitionsNeverEscape(@ForAll long seed) {
    Random r = new Random(seed);
    StringBuilder b = new StringBuilder(ProtocolLoaderTest.VALID);
    int edits = 1 + r.nextInt(6);
    String alphabet = "{}[]:,-'\"&*!|>#%@` \n\tabAB01.~?";
    for (int i = 0; i < edits; i++) {
      int at = r.nextInt(b.length());
      switch (r.nextInt(4)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
        case 2 -> b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
        default -> {
          int len = Math.min(b.length() - at, 1 + r.nextInt(40));
          b.insert(r.nextInt(b.length()), b.substring(at, at + len));
        }
      }
    }
    load(b.toString());
  }

  @Property(tries = 50)
  void deepNestingAndAliasBombsAreRefused(@ForAll long seed) {
    int depth = 50 + new Random(seed).nextInt(5000);
    load("protocol: " + "[".repeat(depth));
    load(
        "a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
  }

  private static void load(String text) {
    try {
      Protocol p = new ProtocolLoader().load("fuzz.yaml", text);
      assertThat(p.states()).isNotEmpty();
    } catch (ProtocolLoadException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(pr -> assertThat(pr.cause()).isNotBlank());
    }
  }
}
