package io.statewarden.topology;

import io.statewarden.engine.Command;
import io.statewarden.engine.InputRef;
import io.statewarden.schema.ProtocolEvent;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An operator's command, written to the events topic as a {@link ProtocolEvent} of the reserved
 * type {@value Command#TYPE}, keyed by the session, its event id the command id, signed like a
 * timer (docs/decisions/0008, 0016). The payload holds {@code command} (cancel, retry, move),
 * {@code operator}, {@code reason}, and for a move {@code to}, {@code reopen} and one {@code
 * set.<key>} entry per CEL expression. Only a signed record of this type is a command; any other
 * reaches the engine as an event, which rejects it {@code RESERVED_TYPE}.
 */
public final class CommandRecords {
  /** The protocol field of a command record: the engine goes by the session's own. */
  static final String PROTOCOL = "statewarden";

  static final String COMMAND = "command";
  static final String OPERATOR = "operator";
  static final String REASON = "reason";
  static final String TO = "to";
  static final String REOPEN = "reopen";
  static final String SET = "set.";

  private CommandRecords() {}

  /** The record for {@code c} (its timestamp and input are the record's own when read back). */
  public static ProtocolEvent of(Command c) {
    Map<String, Object> payload = new HashMap<>();
    payload.put(COMMAND, c.kind().label());
    payload.put(OPERATOR, c.operator());
    payload.put(REASON, c.reason());
    if (c.to() != null) {
      payload.put(TO, c.to());
    }
    if (c.reopen()) {
      payload.put(REOPEN, true);
    }
    c.set().forEach((k, v) -> payload.put(SET + k, v));
    return ProtocolEvent.newBuilder()
        .setEventId(c.commandId())
        .setSessionId(c.sessionId())
        .setProtocol(PROTOCOL)
        .setType(Command.TYPE)
        .setPayload(payload)
        .setExpectedState(c.expectedState())
        .setSource(TimerRecords.SOURCE)
        .build();
  }

  static boolean isCommand(ProtocolEvent e) {
    return Command.TYPE.equals(e.getType());
  }

  /**
   * The command a signed record holds.
   *
   * @throws IllegalArgumentException when it does not hold one (then it is dead-lettered: only
   *     statewarden signs these, so this is a bug or a key leak, not a producer's mistake)
   */
  static Command read(String key, ProtocolEvent e, long timestamp, InputRef input) {
    Map<String, Object> p = e.getPayload();
    Object kind = p.get(COMMAND);
    Map<String, String> set = new HashMap<>();
    p.forEach(
        (k, v) -> {
          if (k.startsWith(SET) && v != null) {
            set.put(k.substring(SET.length()), v.toString());
          }
        });
    Command.Kind parsed;
    try {
      parsed = Command.Kind.valueOf(String.valueOf(kind).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("command record with unknown command " + kind, ex);
    }
    return new Command(
        parsed,
        e.getEventId(),
        key,
        text(p.get(OPERATOR)),
        text(p.get(REASON)),
        e.getExpectedState(),
        text(p.get(TO)),
        set,
        Boolean.TRUE.equals(p.get(REOPEN)),
        timestamp,
        input);
  }

  private static String text(Object v) {
    return v == null ? null : v.toString();
  }
}
