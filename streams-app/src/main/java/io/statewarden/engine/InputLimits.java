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

  Optional<Rejection> check(Event e) {
    String missing =
        e.eventId() == null || e.eventId().isEmpty()
            ? "eventId"
            : e.sessionId() == null || e.sessionId().isEmpty()
                ? "sessionId"
                : e.protocol() == null || e.protocol().isEmpty()
                    ? "protocol"
                    : e.type() == null || e.type().isEmpty() ? "type" : null;
    if (missing != null) {
      return reject(Reason.INVALID_EVENT, "Expected a non-empty " + missing + ", but got none");
    }
    if (e.key() != null && !e.key().equals(e.sessionId())) {
      return reject(
          Reason.KEY_MISMATCH,
          "Expected record key to equal sessionId '"
              + clip(e.sessionId())
              + "', but key is '"
              + clip(e.key())
              + "'");
    }
    for (var f :
        Map.of(
                "eventId",
                e.eventId(),
                "sessionId",
                e.sessionId(),
                "protocol",
                e.protocol(),
                "type",
                e.type())
            .entrySet()) {
      Optional<Rejection> r = id(f.getKey(), f.getValue());
      if (r.isPresent()) return r;
    }
    if (e.expectedState() != null) {
      Optional<Rejection> r = id("expectedState", e.expectedState());
      if (r.isPresent()) return r;
    }
    if (e.payload().size() > config.maxPayloadEntries()) {
      return reject(
          Reason.LIMIT_EXCEEDED,
          "payload has "
              + e.payload().size()
              + " entries; the limit is "
              + config.maxPayloadEntries());
    }
    for (var entry : e.payload().entrySet()) {
      Optional<Rejection> r = id("payload key", entry.getKey());
      if (r.isPresent()) return r;
      Object v = entry.getValue();
      if (v instanceof String s) {
        if (s.length() > config.maxStringLength()) {
          return reject(
              Reason.LIMIT_EXCEEDED,
              "payload."
                  + clip(entry.getKey())
                  + " has "
                  + s.length()
                  + " characters; the limit is "
                  + config.maxStringLength());
        }
      } else if (v != null
          && !(v instanceof Boolean)
          && !(v instanceof Long)
          && !(v instanceof Double)) {
        return reject(
            Reason.INVALID_EVENT,
            "payload."
                + clip(entry.getKey())
                + " is "
                + kind(v)
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
