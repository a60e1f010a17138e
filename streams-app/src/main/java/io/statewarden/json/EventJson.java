package io.statewarden.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code ProtocolEvent} written as JSON (the JSON input topic and simulator scenarios).
 * Integers become longs, other numbers doubles; a number that neither can hold is refused (an
 * {@link IllegalArgumentException} naming the field: a dead letter on the JSON topic, {@code
 * FILE:LINE} in a scenario). Nested objects and arrays are kept, so the engine rejects them with a
 * reason instead of losing them here.
 */
public final class EventJson {
  private EventJson() {}

  /**
   * Reads JSON so that it means one thing: a key twice in one object (which one would count?), a
   * string with an unpaired surrogate ({@code "\ud800"}: written on as UTF-8 it becomes {@code ?},
   * so two distinct ids would merge into one) and anything after the first value are refused.
   *
   * @throws IllegalArgumentException naming the duplicate key or the string's path
   * @throws JsonProcessingException when the text is not JSON
   */
  public static JsonNode parse(byte[] json) throws JsonProcessingException {
    try {
      return checked(STRICT.readTree(json));
    } catch (IOException e) {
      throw rethrow(e);
    }
  }

  /** {@link #parse(byte[])} for text. */
  public static JsonNode parse(String json) throws JsonProcessingException {
    try {
      return checked(STRICT.readTree(json));
    } catch (IOException e) {
      throw rethrow(e);
    }
  }

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static JsonProcessingException rethrow(IOException e) {
    if (e instanceof JsonParseException p
        && p.getOriginalMessage().startsWith("Duplicate field '")
        && p.getProcessor() != null) {
      // the context names the repeated key; its parent, the object that holds it
      var object = p.getProcessor().getParsingContext().getParent();
      String where = object == null ? "" : object.pathAsPointer().toString();
      throw new IllegalArgumentException(
          "duplicate key "
              + p.getOriginalMessage().substring("Duplicate field ".length())
              + (where.isEmpty() ? "" : " in " + where.substring(1).replace('/', '.'))
              + ": a key may appear once in an object");
    }
    if (e instanceof MismatchedInputException m
        && m.getOriginalMessage().startsWith("Trailing token")) {
      throw new IllegalArgumentException(
          "text after the JSON value, at column "
              + m.getLocation().getColumnNr()
              + ": one record (or scenario line) holds one value");
    }
    if (e instanceof JsonProcessingException j) {
      return j;
    }
    throw new IllegalStateException("Reading JSON from memory failed", e);
  }

  /** Refuses unpaired surrogates in every key and string of the tree. */
  private static JsonNode checked(JsonNode n) {
    surrogates(n, "");
    return n;
  }

  private static void surrogates(JsonNode n, String path) {
    if (n.isTextual()) {
      int at = unpaired(n.textValue());
      if (at >= 0) {
        throw new IllegalArgumentException(
            (path.isEmpty() ? "the value" : path)
                + " has an unpaired surrogate at index "
                + at
                + ": strings must be Unicode text");
      }
    } else if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        int at = unpaired(e.getKey());
        if (at >= 0) {
          throw new IllegalArgumentException(
              "a key"
                  + (path.isEmpty() ? "" : " in " + path)
                  + " has an unpaired surrogate at index "
                  + at
                  + ": strings must be Unicode text");
        }
        surrogates(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey());
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        surrogates(n.get(i), path + "[" + i + "]");
      }
    }
  }

  /** The index of the first surrogate without its pair, or -1. */
  private static int unpaired(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * @param timestamp the record timestamp; used when the JSON has no {@code timestamp}
   * @throws IllegalArgumentException when the JSON is not an object, a field has the wrong type, or
   *     a number is out of range
   */
  public static Event read(JsonNode node, String key, Long timestamp, InputRef input) {
    if (!(node instanceof ObjectNode o)) {
      throw new IllegalArgumentException("Expected a JSON object, but got " + node.getNodeType());
    }
    Long ts = timestamp; // not `cond ? time(..) : timestamp`: that unboxes a null timestamp
    if (o.has("timestamp")) {
      ts = time(o.get("timestamp"), "timestamp");
    }
    if (ts == null) {
      throw new IllegalArgumentException(
          "Expected a timestamp (epoch millis or ISO-8601), but got none");
    }
    Map<String, Object> payload = Map.of();
    JsonNode p = o.get("payload");
    if (p != null && !p.isNull()) {
      if (!p.isObject()) {
        throw new IllegalArgumentException(
            "Expected payload to be an object, but got " + p.getNodeType());
      }
      payload = object(p, "payload");
    }
    Integer version = null;
    JsonNode v = o.get("protocolVersion");
    if (v != null && !v.isNull()) {
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new IllegalArgumentException(
            "Expected protocolVersion to be an integer, but got " + v);
      }
      version = v.intValue();
    }
    String sessionId = text(o, "sessionId");
    return new Event(
        key == null ? sessionId : key,
        text(o, "eventId"),
        sessionId,
        text(o, "protocol"),
        version,
        text(o, "type"),
        payload,
        text(o, "expectedState"),
        text(o, "source"),
        ts,
        input);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** The event as JSON (the JSON topic's shape plus {@code timestamp}), for dead letters. */
  public static byte[] write(Event e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("eventId", e.eventId());
    m.put("sessionId", e.sessionId());
    m.put("protocol", e.protocol());
    m.put("protocolVersion", e.protocolVersion());
    m.put("type", e.type());
    m.put("payload", e.payload());
    m.put("expectedState", e.expectedState());
    m.put("source", e.source());
    m.put("timestamp", e.timestamp());
    try {
      return MAPPER.writeValueAsBytes(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
      throw new IllegalStateException("Cannot write event " + e.eventId() + " as JSON", ex);
    }
  }

  /** Epoch millis from a number or an ISO-8601 string. */
  public static long time(JsonNode n, String field) {
    if (n.isIntegralNumber()) {
      if (!n.canConvertToLong()) {
        throw new IllegalArgumentException(
            field + " " + n.asText() + " is out of range (epoch millis are a long)");
      }
      return n.longValue();
    }
    if (n.isTextual()) {
      try {
        return Instant.parse(n.textValue()).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(field + " '" + n.textValue() + "' is not ISO-8601");
      }
    }
    throw new IllegalArgumentException(
        "Expected " + field + " as epoch millis or ISO-8601, but got " + n);
  }

  private static String text(ObjectNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException(
          "Expected " + field + " to be a string, but got " + n.getNodeType());
    }
    return n.textValue();
  }

  private static Map<String, Object> object(JsonNode n, String path) {
    Map<String, Object> m = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      var e = it.next();
      m.put(e.getKey(), value(e.getValue(), path + "." + e.getKey()));
    }
    return m;
  }

  /**
   * A payload value. A number that a long or a double cannot hold is refused here, naming it: kept,
   * it would become a string or infinity and change meaning on its way to a guard.
   */
  private static Object value(JsonNode n, String path) {
    if (n.isNull()) return null;
    if (n.isBoolean()) return n.booleanValue();
    if (n.isIntegralNumber()) {
      if (!n.canConvertToLong()) {
        throw new IllegalArgumentException(
            path
                + " is "
                + clip(n.asText())
                + ", out of range: integers are longs (-9223372036854775808 to"
                + " 9223372036854775807)");
      }
      return n.longValue();
    }
    if (n.isNumber()) {
      double d = n.doubleValue();
      if (Double.isInfinite(d) || Double.isNaN(d)) {
        throw new IllegalArgumentException(
            path + " is out of range: numbers are doubles, at most about 1.8e308 in magnitude");
      }
      return d;
    }
    if (n.isTextual()) return n.textValue();
    if (n.isObject()) return object(n, path); // kept so the engine can name it; see InputLimits
    List<Object> l = new ArrayList<>();
    int i = 0;
    for (JsonNode x : n) {
      l.add(value(x, path + "[" + i++ + "]"));
    }
    return l;
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
