package io.statewarden.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DocBlocksTest {
  @TempDir Path dir;

  @Test
  void shouldTakeTheBlockAfterItsMarkerAndSayWhenItIsGone() throws Exception {
    // given a doc with one marked block, and one whose marker lost its block
    Path doc = dir.resolve("doc.md");
    Files.writeString(
        doc,
        "text\n<!-- test: run -->\n```bash\njava -jar x.jar \\\n    --flag\n# note\n```\n"
            + "<!-- test: orphan -->\n\nprose\n");

    // when / then
    assertThat(DocBlocks.block(doc.toString(), "run"))
        .isEqualTo("java -jar x.jar \\\n    --flag\n# note\n");
    assertThat(DocBlocks.commands(DocBlocks.block(doc.toString(), "run")))
        .containsExactly("java -jar x.jar --flag");
    assertThatThrownBy(() -> DocBlocks.block(doc.toString(), "orphan"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no fenced block right after the line '<!-- test: orphan -->'");
    assertThatThrownBy(() -> DocBlocks.block(doc.toString(), "gone"))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith(
            doc + ": no fenced block right after the line '<!-- test: gone -->'")
        .hasMessageContaining("A test runs that block exactly as printed");
  }
}
