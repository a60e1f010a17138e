package io.statewarden.cli;

/**
 * A command cannot go on because of what the user gave it (a file that does not exist, a setting
 * that is wrong, a server that does not answer): the message is printed to stderr as it is, without
 * a stack trace, and the command exits with {@link #exitCode()}. Anything else thrown out of a
 * command is a bug and keeps picocli's report, stack trace included.
 */
final class CommandFailure extends RuntimeException {
  private final int exitCode;

  CommandFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  CommandFailure(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
