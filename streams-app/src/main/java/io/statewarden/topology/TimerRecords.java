package io.statewarden.topology;

import io.statewarden.engine.Session;
import io.statewarden.schema.ProtocolEvent;
import java.util.HashMap;
import java.util.Map;

/**
 * A deadline that came due on the wall clock, written to the events topic as a {@link
 * ProtocolEvent} of the reserved type {@value #TYPE}, keyed by the session, stamped with the
 * deadline, carrying the deadline and the seq it expires. It takes effect when it is read back, so
 * the log alone orders timeouts and events, live and in a replay (Zeebe logs timer triggers the
 * same way).
 */
public final class TimerRecords {
  public static final String TYPE = io.statewarden.engine.Engine.TIMER_TYPE;
  public static final String SOURCE = "statewarden";
  static final String DEADLINE = "deadline";
  static final String SEQ = "seq";

  private TimerRecords() {}

  static ProtocolEvent of(Session s, long deadline) {
    Map<String, Object> payload = new HashMap<>();
    payload.put(DEADLINE, deadline);
    payload.put(SEQ, s.seq());
    return ProtocolEvent.newBuilder()
        .setEventId("deadline:" + deadline + ":" + s.seq())
        .setSessionId(s.id())
        .setProtocol(s.protocol())
        .setProtocolVersion(s.version())
        .setType(TYPE)
        .setPayload(payload)
        .setSource(SOURCE)
        .build();
  }

  static boolean isTimer(ProtocolEvent e) {
    return TYPE.equals(e.getType());
  }

  static long deadline(ProtocolEvent e) {
    return ((Number) e.getPayload().get(DEADLINE)).longValue();
  }

  static long seq(ProtocolEvent e) {
    return ((Number) e.getPayload().get(SEQ)).longValue();
  }
}
