package io.statewarden.engine;

import java.util.Map;

/**
 * An input to the engine: the fields of a {@code ProtocolEvent} plus the record key, the record
 * timestamp (what deadlines are measured against) and where it was read from.
 *
 * <p>Payload values are null, {@link Boolean}, {@link Long}, {@link Double} or {@link String}.
 */
public record Event(
    String key,
    String eventId,
    String sessionId,
    String protocol,
    Integer protocolVersion,
    String type,
    Map<String, Object> payload,
    String expectedState,
    String source,
    long timestamp,
    InputRef input) {

  public Event {
    payload = payload == null ? Map.of() : payload;
  }

  /** A keyed event with no optional fields, as tests and the simulator build them. */
  public static Event of(
      String sessionId, String eventId, String protocol, String type, long timestamp) {
    return new Event(
        sessionId, eventId, sessionId, protocol, null, type, Map.of(), null, null, timestamp, null);
  }

  public Event withPayload(Map<String, Object> p) {
    return new Event(
        key,
        eventId,
        sessionId,
        protocol,
        protocolVersion,
        type,
        p,
        expectedState,
        source,
        timestamp,
        input);
  }

  public Event withExpectedState(String s) {
    return new Event(
        key,
        eventId,
        sessionId,
        protocol,
        protocolVersion,
        type,
        payload,
        s,
        source,
        timestamp,
        input);
  }

  public Event withKey(String k) {
    return new Event(
        k,
        eventId,
        sessionId,
        protocol,
        protocolVersion,
        type,
        payload,
        expectedState,
        source,
        timestamp,
        input);
  }

  public Event withVersion(Integer v) {
    return new Event(
        key,
        eventId,
        sessionId,
        protocol,
        v,
        type,
        payload,
        expectedState,
        source,
        timestamp,
        input);
  }

  public Event withInput(InputRef ref) {
    return new Event(
        key,
        eventId,
        sessionId,
        protocol,
        protocolVersion,
        type,
        payload,
        expectedState,
        source,
        timestamp,
        ref);
  }
}
