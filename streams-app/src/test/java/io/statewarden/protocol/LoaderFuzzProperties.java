package io.statewarden.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    // 41..5040 levels: past the loader's own limit of 40, including the range below SnakeYAML's
    // default of 50, so dropping or raising ProtocolLoader's limit fails this property
    int depth = 41 + new Random(seed).nextInt(5000);
    refused("protocol: " + "[".repeat(depth), "Nesting Depth exceeded max 40");
    // 25 aliases of collections: past the loader's limit of 20, below SnakeYAML's default of 50
    refused(
        "a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        "Number of aliases for non-scalar nodes exceeds the specified max=20");
  }

  /** The loader refuses the text for exactly the named YAML limit, not for anything else. */
  private static void refused(String text, String limit) {
    assertThatThrownBy(() -> new ProtocolLoader().load("fuzz.yaml", text))
        .isInstanceOfSatisfying(
            ProtocolLoadException.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .satisfies(
                        pr -> {
                          assertThat(pr.file()).isEqualTo("fuzz.yaml");
                          assertThat(pr.cause()).isEqualTo("not valid YAML: " + limit);
                        }));
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
