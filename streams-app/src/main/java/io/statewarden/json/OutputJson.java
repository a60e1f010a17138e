package io.statewarden.json;

import io.statewarden.engine.Output;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Engine outputs as JSON-ready maps with the field names of SPEC section 5 and a {@code kind}. */
public final class OutputJson {
  private OutputJson() {}

  /**
   * Session data by key: the engine's maps iterate in an order that changes from one JVM to the
   * next, and simulate's output should not.
   */
  private static Map<String, Object> sorted(Map<String, ?> data) {
    return data == null ? null : new TreeMap<>(data);
  }

  public static Map<String, Object> toMap(Output o) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (o instanceof Output.Transition t) {
      m.put("kind", "transition");
      m.put("sessionId", t.sessionId());
      m.put("protocol", t.protocol());
      m.put("protocolVersion", t.protocolVersion());
      m.put("seq", t.seq());
      m.put("from", t.from());
      m.put("to", t.to());
      m.put("trigger", t.trigger().name());
      m.put("eventId", t.eventId());
      m.put("eventType", t.eventType());
      m.put("at", t.at());
      m.put("final", t.isFinal());
      m.put("outcome", t.outcome() == null ? null : t.outcome().name());
      m.put("data", sorted(t.data()));
      m.put("incarnation", t.incarnation());
    } else if (o instanceof Output.Backout b) {
      m.put("kind", "backout");
      m.put("sessionId", b.sessionId());
      m.put("protocol", b.protocol());
      m.put("protocolVersion", b.protocolVersion());
      m.put("seq", b.seq());
      m.put("stalledState", b.stalledState());
      m.put("reason", b.reason().name());
      m.put("deadline", b.deadline());
      m.put("at", b.at());
      m.put("data", sorted(b.data()));
      m.put("history", b.history());
      m.put("incarnation", b.incarnation());
    } else if (o instanceof Output.Audit a) {
      m.put("kind", "audit");
      m.put("sessionId", a.sessionId());
      m.put("protocol", a.protocol());
      m.put("eventId", a.eventId());
      m.put("eventType", a.eventType());
      m.put("decision", a.decision().name());
      m.put("reason", a.reason() == null ? null : a.reason().name());
      m.put("detail", a.detail());
      m.put("stateBefore", a.stateBefore());
      m.put("stateAfter", a.stateAfter());
      m.put("seq", a.seq());
      m.put("at", a.at());
      m.put(
          "input",
          a.input() == null
              ? null
              : Map.of(
                  "topic", a.input().topic(),
                  "partition", a.input().partition(),
                  "offset", a.input().offset()));
    }
    return m;
  }
}
