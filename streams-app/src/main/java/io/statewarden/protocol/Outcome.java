package io.statewarden.protocol;

/**
 * How a session ended; a state with {@code final: OUTCOME} freezes the session. Each outcome has a
 * fixed {@link #code()}: the session store keeps a final session's outcome as that number.
 */
public enum Outcome {
  COMPLETED(0),
  FAILED(1),
  BACKED_OUT(2);

  private final int code;

  Outcome(int code) {
    this.code = code;
  }

  /**
   * The number stored for this outcome (the session codec, docs/decisions/0002). Stored sessions
   * carry it: never change or reuse one; a new outcome takes a new number. Independent of the order
   * of the constants.
   */
  public int code() {
    return code;
  }

  /**
   * @throws IllegalArgumentException for a number no outcome has (written by a newer version?)
   */
  public static Outcome fromCode(int code) {
    for (Outcome outcome : values()) {
      if (outcome.code == code) {
        return outcome;
      }
    }
    throw new IllegalArgumentException(
        "Expected an outcome code (0 COMPLETED, 1 FAILED, 2 BACKED_OUT), but got "
            + code
            + " (written by a newer version?)");
  }
}
