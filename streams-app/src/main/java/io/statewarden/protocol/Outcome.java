package io.statewarden.protocol;

/** How a session ended; a state with {@code final: OUTCOME} freezes the session. */
public enum Outcome {
  COMPLETED,
  FAILED,
  BACKED_OUT
}
