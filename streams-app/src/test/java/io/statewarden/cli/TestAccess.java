package io.statewarden.cli;

import picocli.CommandLine;

/** The CLI's command line, for tests in other packages. */
public final class TestAccess {
  private TestAccess() {}

  public static CommandLine commandLine() {
    return Main.commandLine();
  }
}
