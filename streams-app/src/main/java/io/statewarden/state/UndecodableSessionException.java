package io.statewarden.state;

/**
 * A stored session value that {@link io.statewarden.engine.SessionCodec} refuses: corrupt bytes, or
 * a format this version does not know. Permanent: retrying cannot help.
 */
public final class UndecodableSessionException extends RuntimeException {
  private final String sessionId;

  public UndecodableSessionException(String sessionId, Throwable cause) {
    super("stored session " + sessionId + " cannot be decoded: " + cause.getMessage(), cause);
    this.sessionId = sessionId;
  }

  public String sessionId() {
    return sessionId;
  }
}
