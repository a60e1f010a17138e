package io.statewarden.engine;

import io.statewarden.engine.Output.Reason;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Rejects malformed or oversized events before they reach a session (SPEC section 8). */
final class InputLimits {
  /** Why an event is refused before it reaches a session; the reason is never null. */
  record Rejection(Reason reason, String detail) {
    Rejection {
      Objects.requireNonNull(reason, "reason");
    }
  }

  private final EngineConfig config;

  InputLimits(EngineConfig config) {
    this.config = config;
  }

  /**
   * The first thing wrong with the event, in a fixed order (the same answer on every run: a replay
   * compares audit records), or empty.
   */
  Optional<Rejection> check(Event event) {
    String missing =
        event.eventId() == null || event.eventId().isEmpty()
            ? "eventId"
            : event.sessionId() == null || event.sessionId().isEmpty()
                ? "sessionId"
                : event.protocol() == null || event.protocol().isEmpty()
                    ? "protocol"
                    : event.type() == null || event.type().isEmpty() ? "type" : null;
    if (missing != null) {
      return reject(Reason.INVALID_EVENT, "Expected a non-empty " + missing + ", but got none");
    }
    if (event.key() != null && !event.key().equals(event.sessionId())) {
      return reject(
          Reason.KEY_MISMATCH,
          "Expected record key to equal sessionId '"
              + clip(event.sessionId())
              + "', but key is '"
              + clip(event.key())
              + "'");
    }
    Optional<Rejection> badId =
        id("eventId", event.eventId())
            .or(() -> id("sessionId", event.sessionId()))
            .or(() -> id("protocol", event.protocol()))
            .or(() -> id("type", event.type()))
            .or(
                () ->
                    event.expectedState() == null
                        ? Optional.empty()
                        : id("expectedState", event.expectedState()));
    if (badId.isPresent()) {
      return badId;
    }
    Map<String, Object> payload = event.payload();
    if (payload.size() > config.maxPayloadEntries()) {
      return reject(
          Reason.LIMIT_EXCEEDED,
          "payload has " + payload.size() + " entries; the limit is " + config.maxPayloadEntries());
    }
    for (var entry : payload.entrySet()) {
      Optional<Rejection> badKey = id("payload key", entry.getKey());
      if (badKey.isPresent()) return badKey;
      Object value = entry.getValue();
      if (value instanceof String string) {
        if (string.length() > config.maxStringLength()) {
          return reject(
              Reason.LIMIT_EXCEEDED,
              "payload."
                  + clip(entry.getKey())
                  + " has "
                  + string.length()
                  + " characters; the limit is "
                  + config.maxStringLength());
        }
      } else if (value != null
          && !(value instanceof Boolean)
          && !(value instanceof Long)
          && !(value instanceof Double)) {
        return reject(
            Reason.INVALID_EVENT,
            "payload."
                + clip(entry.getKey())
                + " is "
                + kind(value)
                + "; payload values are null, boolean, long, double or string");
      }
    }
    return Optional.empty();
  }

  private Optional<Rejection> id(String field, String v) {
    if (v == null) {
      return reject(Reason.INVALID_EVENT, field + " is null");
    }
    if (v.length() > config.maxIdLength()) {
      return reject(
          Reason.LIMIT_EXCEEDED,
          field + " has " + v.length() + " characters; the limit is " + config.maxIdLength());
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (Character.isISOControl(c) || c == '\uFFFD' || c == '\uFEFF') {
        return reject(
            Reason.INVALID_EVENT, field + " has a control or replacement character at index " + i);
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= v.length() || !Character.isLowSurrogate(v.charAt(i + 1))) {
          return reject(Reason.INVALID_EVENT, field + " has an unpaired surrogate at index " + i);
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return reject(Reason.INVALID_EVENT, field + " has an unpaired surrogate at index " + i);
      }
    }
    return Optional.empty();
  }

  /** What a payload value is, in the words of JSON rather than of Java classes. */
  private static String kind(Object v) {
    if (v instanceof Map) return "a nested object";
    if (v instanceof java.util.Collection) return "a nested list";
    if (v instanceof Number) return "a number that is neither a long nor a double";
    return "a value of an unsupported type";
  }

  private static Optional<Rejection> reject(Reason reason, String detail) {
    return Optional.of(new Rejection(reason, detail));
  }

  private static String clip(String s) {
    if (s == null) return "null";
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
