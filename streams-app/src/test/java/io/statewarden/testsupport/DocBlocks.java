package io.statewarden.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The fenced code blocks of the user docs that tests run as printed. A block is marked by an HTML
 * comment on the line before its fence, {@code <!-- test: NAME -->}, which a rendered page does not
 * show; the test takes the block's text from the doc, so the doc and the test cannot drift apart.
 */
public final class DocBlocks {
  /** The repository root: tests run in the module directory. */
  public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private DocBlocks() {}

  /**
   * The text between the fences of the block marked {@code name}, with a line end after each line.
   *
   * @param doc relative to the repository root, e.g. {@code README.md}
   * @throws AssertionError naming the doc and the marker when the block is gone
   */
  public static String block(String doc, String name) {
    String marker = "<!-- test: " + name + " -->";
    List<String> lines;
    try {
      lines = Files.readAllLines(ROOT.resolve(doc), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(doc + " cannot be read: " + e.getMessage(), e);
    }
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).strip().equals(marker)) continue;
      if (i + 1 >= lines.size() || !lines.get(i + 1).startsWith("```")) break;
      StringBuilder text = new StringBuilder();
      for (int j = i + 2; j < lines.size(); j++) {
        if (lines.get(j).startsWith("```")) return text.toString();
        text.append(lines.get(j)).append('\n');
      }
      break;
    }
    throw new AssertionError(
        doc
            + ": no fenced block right after the line '"
            + marker
            + "'. A test runs that block exactly as printed; if the block moved or changed its"
            + " purpose, put the marker on the line before its opening ``` again.");
  }

  /**
   * The command lines of a shell block: comments and blank lines dropped, lines continued with a
   * trailing backslash joined.
   */
  public static List<String> commands(String block) {
    return block
        .replaceAll("[ \\t]*\\\\\n\\s*", " ")
        .lines()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .toList();
  }
}
