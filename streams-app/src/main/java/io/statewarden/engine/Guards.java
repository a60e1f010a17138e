package io.statewarden.engine;

import com.google.common.primitives.UnsignedLong;
import dev.cel.common.values.NullValue;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Expression;
import io.statewarden.protocol.Expression.EvaluationException;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CEL evaluation for the engine: which candidate a guard picks ({@link #choose}), the data its
 * {@code set} gives ({@link #assign}), and the {@code event} and {@code session} variables the
 * expressions see. A guard or value that fails to evaluate throws {@link EvaluationException}.
 */
final class Guards {
  private Guards() {}

  /** The first candidate whose guard holds (one without a guard always does), or null. */
  static Candidate choose(List<Candidate> candidates, EventView event, Session session) {
    if (candidates == null) {
      return null;
    }
    Map<String, Object> activation = null;
    for (Candidate candidate : candidates) {
      if (candidate.condition() == null) {
        return candidate;
      }
      if (activation == null) {
        activation = activation(event, session);
      }
      if (holds(candidate.condition(), activation)) {
        return candidate;
      }
    }
    return null;
  }

  private static boolean holds(Expression condition, Map<String, Object> activation) {
    Object value = condition.evaluate(activation);
    if (!(value instanceof Boolean)) {
      throw new EvaluationException(
          "'" + condition.source() + "' gave " + value + ", not a bool", null);
    }
    return (Boolean) value;
  }

  /** The session data after the candidate's {@code set}; all values see the data before. */
  static Map<String, Object> assign(Candidate candidate, EventView event, Session session) {
    if (candidate.set().isEmpty()) {
      return session.data;
    }
    Map<String, Object> activation = activation(event, session);
    Map<String, Object> data = new LinkedHashMap<>(session.data);
    for (var assignment : candidate.set().entrySet()) {
      String key = assignment.getKey();
      data.put(key, scalar(key, assignment.getValue().evaluate(activation)));
    }
    return Collections.unmodifiableMap(data);
  }

  private static Object scalar(String key, Object value) {
    if (value instanceof NullValue) return null;
    if (value instanceof Boolean
        || value instanceof Long
        || value instanceof Double
        || value instanceof String) return value;
    if (value instanceof Integer i) return i.longValue();
    if (value instanceof UnsignedLong u && u.longValue() >= 0) return u.longValue();
    throw new EvaluationException(
        "set "
            + key
            + ": a "
            + (value == null ? "null" : value.getClass().getSimpleName())
            + " is not null, bool, int, double or string",
        null);
  }

  /** The {@code event} CEL variable, built only when an expression needs it. */
  static final class EventView {
    private final String type;
    private final String id;
    private final Map<String, Object> payload;
    private final long timestamp;
    private Map<String, Object> map;

    EventView(String type, String id, Map<String, Object> payload, long timestamp) {
      this.type = type;
      this.id = id;
      this.payload = payload;
      this.timestamp = timestamp;
    }

    /** An input event as its guards see it. */
    static EventView of(Event event) {
      return new EventView(event.type(), event.eventId(), event.payload(), event.timestamp());
    }

    /** A deadline as its guards see it: no id, no payload, the deadline's time. */
    static EventView deadline(String type, long deadline) {
      return new EventView(type, null, Map.of(), deadline);
    }

    private Map<String, Object> map() {
      if (map == null) {
        map = new HashMap<>(8);
        map.put("type", type == null ? "" : type);
        map.put("id", id == null ? "" : id);
        map.put("payload", celMap(payload));
        map.put("timestamp", timestamp);
      }
      return map;
    }
  }

  private static Map<String, Object> activation(EventView event, Session session) {
    Map<String, Object> variable = new HashMap<>(8);
    variable.put("state", session.state);
    variable.put("data", celMap(session.data));
    variable.put("seq", session.seq);
    variable.put("createdAt", session.createdAt);
    variable.put("enteredAt", session.enteredAt);
    return Map.of("event", event.map(), "session", variable);
  }

  /** CEL reads a Java null as "unknown"; give it its own null. */
  private static Map<String, Object> celMap(Map<String, Object> map) {
    boolean hasNull = false;
    for (Object value : map.values()) {
      hasNull |= value == null;
    }
    if (!hasNull) {
      return map;
    }
    Map<String, Object> copy = new HashMap<>(map);
    copy.replaceAll((key, value) -> value == null ? NullValue.NULL_VALUE : value);
    return copy;
  }
}
