package io.statewarden.topology;

/** statewarden cannot start; the message says why and what to check. */
public final class StartupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
