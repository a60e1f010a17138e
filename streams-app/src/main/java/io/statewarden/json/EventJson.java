package io.statewarden.json;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
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

  /**
   * {@code read(parse(json), key, timestamp, input)}: the same event, or the same exception. A
   * well-formed event is read in one pass over the text, straight into the {@link Event}, with
   * every check {@link #parse} and {@link #read(JsonNode, String, Long, InputRef)} make; anything
   * else (malformed, a duplicate key, a lone surrogate, a field of the wrong type, a number out of
   * range, text after the value) is read again their way, for their answer (issue 16).
   */
  public static Event read(byte[] json, String key, Long timestamp, InputRef input)
      throws JsonProcessingException {
    Event e = onePass(json, key, timestamp, input);
    return e != null ? e : read(parse(json), key, timestamp, input);
  }

  /** What {@link #read(byte[], String, Long, InputRef)} reads in one pass, or null: not that. */
  static Event onePass(byte[] json, String key, Long timestamp, InputRef input) {
    try (JsonParser p = STRICT.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      String eventId = null, sessionId = null, protocol = null, type = null;
      String expectedState = null, source = null;
      Integer version = null;
      Long ts = timestamp;
      Map<String, Object> payload = Map.of();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "eventId" -> eventId = string(p, v);
          case "sessionId" -> sessionId = string(p, v);
          case "protocol" -> protocol = string(p, v);
          case "type" -> type = string(p, v);
          case "expectedState" -> expectedState = string(p, v);
          case "source" -> source = string(p, v);
          case "timestamp" -> {
            if (v == JsonToken.VALUE_NUMBER_INT
                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
              ts = p.getLongValue();
            } else if (v == JsonToken.VALUE_STRING && unpaired(p.getText()) < 0) {
              ts =
                  Instant.parse(p.getText()).toEpochMilli(); // not ISO-8601: thrown, the tree's way
            } else {
              return null;
            }
          }
          case "protocolVersion" -> {
            if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
              version = p.getIntValue();
            } else if (v != JsonToken.VALUE_NULL) {
              return null;
            }
          }
          case "payload" -> {
            if (v == JsonToken.START_OBJECT) {
              payload = object(p);
            } else if (v != JsonToken.VALUE_NULL) {
              return null;
            }
          }
          default -> skip(p, v);
        }
        if (unpaired(name) >= 0) return null;
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null || ts == null) return null;
      return new Event(
          key == null ? sessionId : key,
          eventId,
          sessionId,
          protocol,
          version,
          type,
          payload,
          expectedState,
          source,
          ts,
          input);
    } catch (IOException | RuntimeException notThat) {
      return null; // the tree's way names what is wrong
    }
  }

  /** Thrown inside {@link #onePass} for anything it leaves to the tree. */
  private static final class NotOnePass extends RuntimeException {
    NotOnePass() {
      super(null, null, false, false);
    }
  }

  private static final NotOnePass NOT_ONE_PASS = new NotOnePass();

  /** A string field's value, null for JSON null. */
  private static String string(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NULL) return null;
    if (v != JsonToken.VALUE_STRING) throw NOT_ONE_PASS;
    String s = p.getText();
    if (unpaired(s) >= 0) throw NOT_ONE_PASS;
    return s;
  }

  /** The payload object from its first field on, as {@link #object(JsonNode, String)} gives it. */
  private static Map<String, Object> object(JsonParser p) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String k = p.currentName();
      if (unpaired(k) >= 0) throw NOT_ONE_PASS;
      m.put(k, value(p, p.nextToken()));
    }
    if (t != JsonToken.END_OBJECT) throw NOT_ONE_PASS;
    return m;
  }

  /** A payload value, as {@link #value(JsonNode, String)} gives it. */
  private static Object value(JsonParser p, JsonToken v) throws IOException {
    switch (v) {
      case VALUE_NULL:
        return null;
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NUMBER_INT:
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw NOT_ONE_PASS;
        return p.getLongValue();
      case VALUE_NUMBER_FLOAT:
        double d = p.getDoubleValue();
        if (Double.isInfinite(d) || Double.isNaN(d)) throw NOT_ONE_PASS;
        return d;
      case VALUE_STRING:
        return string(p, v);
      case START_OBJECT:
        return object(p);
      case START_ARRAY:
        List<Object> l = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(value(p, t));
        }
        return l;
      default:
        throw NOT_ONE_PASS;
    }
  }

  /** Passes over a field this reader does not keep, checking its keys and strings. */
  private static void skip(JsonParser p, JsonToken v) throws IOException {
    int depth = 0;
    JsonToken t = v;
    while (true) {
      if (t == null) throw NOT_ONE_PASS;
      switch (t) {
        case START_OBJECT, START_ARRAY -> depth++;
        case END_OBJECT, END_ARRAY -> depth--;
        case FIELD_NAME, VALUE_STRING -> {
          if (unpaired(p.getText()) >= 0) throw NOT_ONE_PASS;
        }
        default -> {}
      }
      if (depth == 0) return;
      t = p.nextToken();
    }
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
