package io.statewarden.engine;

import java.util.Map;

/**
 * An operator's command to one session, read from the events topic as a record that statewarden's
 * own API wrote and signed (docs/decisions/0016). {@code commandId} is its event id: a session
 * remembers it like an event id, so the same command twice applies once ({@code DUPLICATE}).
 *
 * @param kind what to do
 * @param operator who asked (the identity the API authenticated)
 * @param reason why, as the operator gave it
 * @param expectedState refuse {@code STALE_STATE} unless the session is in this state; null: any
 * @param to the target state of a {@link Kind#MOVE}
 * @param set for a {@link Kind#MOVE}: data key to CEL expression, evaluated over {@code session}
 * @param reopen a {@link Kind#MOVE} may take a final session out of its final state
 * @param timestamp the record timestamp: the time of its transitions
 */
public record Command(
    Kind kind,
    String commandId,
    String sessionId,
    String operator,
    String reason,
    String expectedState,
    String to,
    Map<String, String> set,
    boolean reopen,
    long timestamp,
    InputRef input) {

  /** The event type of a command record; reserved like {@link Engine#TIMER_TYPE}. */
  public static final String TYPE = "statewarden.Command";

  public enum Kind {
    CANCEL,
    RETRY,
    MOVE;

    /** The name in the record and on the API: {@code cancel}, {@code retry}, {@code move}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Command {
    set = set == null ? Map.of() : Map.copyOf(set);
  }

  /** What the audit says of it: the command, who and why. */
  String describe() {
    return describe(null);
  }

  /**
   * @param under the protocol version a retry applied ({@code name@version}), or null
   */
  String describe(String under) {
    return kind.label()
        + (under == null ? "" : " under " + under)
        + (to == null ? "" : " to " + to)
        + (set.isEmpty() ? "" : " set " + new java.util.TreeMap<>(set))
        + (reopen ? " (reopen)" : "")
        + " by "
        + operator
        + ": "
        + reason;
  }

  /** The command seen as an event, for the audit records that share the event's shape. */
  Event asEvent(String protocol) {
    return new Event(
        sessionId,
        commandId,
        sessionId,
        protocol,
        null,
        TYPE,
        Map.of(),
        expectedState,
        operator,
        timestamp,
        input);
  }
}
