package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;

/**
 * Runs the real entry point, {@link Main#main}, as {@code java -jar statewarden.jar} would: with
 * System.out, System.err (and System.in) replaced by buffers for the call, and the exit code it
 * hands to {@code System.exit} read instead of exiting. Whatever a command writes and never flushes
 * is missing here, as it would be on a terminal. {@link #run} does the same for another entry point
 * that ends through {@link Main#run} (the local jar's).
 */
public final class Cli {
  /** A line of a Java stack trace, or the JVM's report of an uncaught exception. */
  static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at [\\w.$]+\\(|Exception in thread");

  /** What a command printed, and its exit code. */
  public record Run(int exit, String out, String err) {
    /** Both streams, for messages that may go to either. */
    public String all() {
      return out + err;
    }

    /** Fails when a stack trace reached the user. */
    public Run assertNoStackTrace() {
      assertThat(STACK_TRACE.matcher(all()).find())
          .as("a stack trace in the output of the command:%n%s", all())
          .isFalse();
      return this;
    }
  }

  private Cli() {}

  static Run main(String... args) {
    return withStdin("", args);
  }

  static Run withStdin(String stdin, String... args) {
    return run(Main::main, stdin, args);
  }

  /**
   * Runs {@code entryPoint} as {@link #main} runs {@link Main#main}.
   *
   * @param entryPoint a {@code main} that ends through {@link Main#run}
   * @param stdin what the command reads from System.in
   * @param args the command line arguments
   * @return the output and exit code
   */
  public static synchronized Run run(Consumer<String[]> entryPoint, String stdin, String... args) {
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    InputStream savedIn = System.in;
    IntConsumer savedExit = Main.exit;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int[] exit = {Integer.MIN_VALUE};
    try {
      System.setOut(new PrintStream(out, false, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, false, StandardCharsets.UTF_8));
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      Main.exit = code -> exit[0] = code;
      entryPoint.accept(args);
    } finally {
      // what the command left unflushed in its own writers is lost, as in a real JVM's exit;
      // only the PrintStreams that stand for the file descriptors are flushed
      System.out.flush();
      System.err.flush();
      System.setOut(savedOut);
      System.setErr(savedErr);
      System.setIn(savedIn);
      Main.exit = savedExit;
    }
    assertThat(exit[0]).as("Main.main did not call exit").isNotEqualTo(Integer.MIN_VALUE);
    return new Run(
        exit[0], out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
