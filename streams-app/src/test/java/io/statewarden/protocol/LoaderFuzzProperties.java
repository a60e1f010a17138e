package io.statewarden.protocol;

import static net.jqwik.api.RandomDistribution.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/**
 * Whatever the text, the loader answers with a protocol or a ProtocolLoadException; nothing else.
 */
class LoaderFuzzProperties {
  @Property(tries = 1000)
  void arbitraryTextNeverEscapes(@ForAll @StringLength(max = 400) String text) {
    load(text);
  }

  enum Kind {
    DELETE,
    INSERT,
    REPLACE,
    COPY
  }

  /**
   * One edit of the text: delete, insert or replace the character at {@code at}, or copy the {@code
   * len} characters there to {@code to}. Positions are taken modulo the text's length as it is
   * then.
   */
  record Edit(Kind kind, int at, char c, int len, int to) {}

  @Provide
  Arbitrary<List<Edit>> edits() {
    Arbitrary<Integer> position =
        Arbitraries.integers().between(0, 1 << 20).withDistribution(uniform());
    Arbitrary<Edit> edit =
        Combinators.combine(
                Arbitraries.of(Kind.class),
                position,
                Arbitraries.of("{}[]:,-'\"&*!|>#%@` \n\tabAB01.~?".toCharArray()),
                Arbitraries.integers().between(1, 40).withDistribution(uniform()),
                position)
            .as(Edit::new);
    return edit.list().ofMinSize(1).ofMaxSize(6).withSizeDistribution(uniform());
  }

  @Property(tries = 1500)
  void mutatedDefinitionsNeverEscape(@ForAll("edits") List<Edit> edits) {
    StringBuilder b = new StringBuilder(ProtocolLoaderTest.VALID);
    for (Edit e : edits) {
      int at = e.at() % b.length();
      switch (e.kind()) {
        case DELETE -> b.deleteCharAt(at);
        case INSERT -> b.insert(at, e.c());
        case REPLACE -> b.setCharAt(at, e.c());
        case COPY -> {
          int len = Math.min(b.length() - at, e.len());
          b.insert(e.to() % b.length(), b.substring(at, at + len));
        }
      }
    }
    load(b.toString());
  }

  @Property(tries = 50)
  void deepNestingAndAliasBombsAreRefused(@ForAll @IntRange(min = 41, max = 5040) int depth) {
    // 41..5040 levels: past the loader's own limit of 40, including the range below SnakeYAML's
    // default of 50, so dropping or raising ProtocolLoader's limit fails this property
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
