package io.statewarden.app;

/**
 * statewarden cannot start; the message says why and what to check. {@link #unreachable()} tells a
 * server that did not answer (perhaps only not yet: worth a retry) from one that refused what it
 * was given (a setting to fix).
 */
public final class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean unreachable;

  public StartupException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private StartupException(String message, Throwable cause, boolean unreachable) {
    super(message, cause);
    this.unreachable = unreachable;
  }

  /** Kafka or the registry did not answer in time. */
  public static StartupException unreachable(String message, Throwable cause) {
    return new StartupException(message, cause, true);
  }

  /** True when a server did not answer; false when it answered with a refusal. */
  public boolean unreachable() {
    return unreachable;
  }
}
