package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.cli.Cli.Run;
import io.statewarden.testsupport.DocBlocks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The worked example of docs/protocol-authoring.md, run as printed: the protocol and the scenario
 * the page shows are the example files its commands name, the commands run through the real entry
 * point from the repository root, and what the page says they print is what they print.
 */
class ProtocolAuthoringDocTest {
  static final String DOC = "docs/protocol-authoring.md";
  static final String JAR = "java -jar streams-app/target/statewarden.jar ";

  @Test
  void shouldPrintTheExampleFilesTheCommandsRun() throws Exception {
    assertThat(DocBlocks.block(DOC, "order-approval.yaml"))
        .as("the protocol printed in %s is docs/examples/order-approval.yaml", DOC)
        .isEqualTo(read("docs/examples/order-approval.yaml"));
    assertThat(DocBlocks.block(DOC, "order-approval.jsonl"))
        .as("the scenario printed in %s is docs/examples/order-approval.jsonl", DOC)
        .isEqualTo(read("docs/examples/order-approval.jsonl"));
  }

  @Test
  void shouldPrintWhatThePageSaysTheCommandsPrint() {
    // given the commands as printed, each run from the repository root
    List<String> commands = DocBlocks.commands(DocBlocks.block(DOC, "order-approval-commands"));
    assertThat(commands).allMatch(c -> c.startsWith(JAR), "starts with " + JAR);
    Run validate = null;
    Run simulate = null;
    for (String c : commands) {
      // when
      Run r = Cli.main(fromRoot(c.substring(JAR.length()).split("\\s+")));

      // then each succeeds without a stack trace
      r.assertNoStackTrace();
      assertThat(r.exit()).as("%s%n%s", c, r.all()).isZero();
      if (c.contains(" validate ")) validate = r;
      if (c.contains(" simulate ")) simulate = r;
    }
    assertThat(validate).as("a validate command in the block").isNotNull();
    assertThat(simulate).as("a simulate command in the block").isNotNull();

    // and validate prints the line the page quotes
    Matcher quoted =
        Pattern.compile("`validate` prints `([^`]+)`").matcher(read(DOC).replace("\n", " "));
    assertThat(quoted.find()).as("%s quotes what validate prints", DOC).isTrue();
    // (the test's working directory is the module's: the path it passed is back as printed)
    assertThat(printed(validate).replace(DocBlocks.ROOT + "/", ""))
        .isEqualTo(quoted.group(1) + "\n");

    // and every output line the page shows is one simulate printed, '...' standing for fields left
    // out
    List<String> printed = simulate.out().lines().toList();
    List<String> shown = DocBlocks.block(DOC, "order-approval-output").lines().toList();
    assertThat(shown).isNotEmpty();
    for (String line : shown) {
      Pattern p = elided(line);
      assertThat(printed)
          .as("simulate printed a line like%n  %s%nit printed:%n%s", line, simulate.out())
          .anyMatch(l -> p.matcher(l).matches());
    }
  }

  /**
   * What the command printed, less log lines of other tests' clients still running in this JVM
   * (they write to the same System.out).
   */
  static String printed(Run r) {
    return r.out()
        .lines()
        .filter(l -> !LOG_LINE.matcher(l).find())
        .map(l -> l + "\n")
        .reduce("", String::concat);
  }

  static final Pattern LOG_LINE =
      Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO|WARN|ERROR) ");

  /** The doc line as a pattern: the text between the {@code ...} is literal, in order. */
  static Pattern elided(String line) {
    List<String> parts = new ArrayList<>();
    for (String part : line.split("\\.\\.\\.", -1)) parts.add(Pattern.quote(part));
    return Pattern.compile(String.join(".*", parts));
  }

  /** A path argument that names a file of the repository, as seen from the repository root. */
  static String[] fromRoot(String[] args) {
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (!out[i].startsWith("-") && Files.exists(DocBlocks.ROOT.resolve(out[i]))) {
        out[i] = DocBlocks.ROOT.resolve(out[i]).toString();
      }
    }
    return out;
  }

  static String read(String file) {
    try {
      return Files.readString(DocBlocks.ROOT.resolve(file), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new AssertionError(file + ": " + e.getMessage(), e);
    }
  }
}
