package io.statewarden.cli;

import picocli.CommandLine;

/** The CLI's command line, for tests in other packages. */
public final class TestAccess {
  private TestAccess() {}

  public static CommandLine commandLine() {
    return Main.commandLine();
  }

  /** What a run of the real {@code Main.main} printed and its exit code. */
  public record Result(int exit, String out, String err) {}

  /** Runs the real {@code Main.main} ({@link Cli#main}); fails on a stack trace in the output. */
  public static Result main(String... args) {
    Cli.Run r = Cli.main(args).assertNoStackTrace();
    return new Result(r.exit(), r.out(), r.err());
  }
}
