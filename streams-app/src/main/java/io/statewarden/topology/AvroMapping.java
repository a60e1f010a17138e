package io.statewarden.topology;

import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.engine.Output;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Outcome;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** Between the Avro records of the public contract and the engine's own types. */
public final class AvroMapping {
  private AvroMapping() {}

  public static Event event(String key, ProtocolEvent e, long timestamp, InputRef input) {
    Map<String, Object> payload = new LinkedHashMap<>();
    if (e.getPayload() != null) {
      e.getPayload()
          .forEach(
              (k, v) ->
                  payload.put(k.toString(), v instanceof CharSequence cs ? cs.toString() : v));
    }
    return new Event(
        key,
        e.getEventId(),
        e.getSessionId(),
        e.getProtocol(),
        e.getProtocolVersion(),
        e.getType(),
        payload,
        e.getExpectedState(),
        e.getSource(),
        timestamp,
        input);
  }

  /** The Avro form of a decoded event (JSON input is normalized into the events topic). */
  public static ProtocolEvent toAvro(Event e) {
    return ProtocolEvent.newBuilder()
        .setEventId(e.eventId())
        .setSessionId(e.sessionId())
        .setProtocol(e.protocol())
        .setProtocolVersion(e.protocolVersion())
        .setType(e.type())
        .setPayload(new LinkedHashMap<>(e.payload()))
        .setExpectedState(e.expectedState())
        .setSource(e.source())
        .build();
  }

  /** The Avro record for an engine output; the topology picks the topic by its class. */
  public static SpecificRecord record(Output o, long processedAt, String instance) {
    if (o instanceof Output.Transition t) {
      return Transition.newBuilder()
          .setSessionId(t.sessionId())
          .setProtocol(t.protocol())
          .setProtocolVersion(t.protocolVersion())
          .setSeq(t.seq())
          .setFrom(t.from())
          .setTo(t.to())
          .setTrigger(Trigger.valueOf(t.trigger().name()))
          .setEventId(t.eventId())
          .setEventType(t.eventType())
          .setAt(Instant.ofEpochMilli(t.at()))
          .setFinal$(t.isFinal())
          .setOutcome(t.outcome() == null ? null : Outcome.valueOf(t.outcome().name()))
          .setData(data(t.data()))
          .setIncarnation(t.incarnation())
          .build();
    }
    if (o instanceof Output.Backout b) {
      return Backout.newBuilder()
          .setSessionId(b.sessionId())
          .setProtocol(b.protocol())
          .setProtocolVersion(b.protocolVersion())
          .setSeq(b.seq())
          .setStalledState(b.stalledState())
          .setReason(BackoutReason.valueOf(b.reason().name()))
          .setDeadline(b.deadline() == null ? null : Instant.ofEpochMilli(b.deadline()))
          .setAt(Instant.ofEpochMilli(b.at()))
          .setData(data(b.data()))
          .setHistory(b.history())
          .setIncarnation(b.incarnation())
          .build();
    }
    Output.Audit a = (Output.Audit) o;
    return AuditRecord.newBuilder()
        .setSessionId(a.sessionId())
        .setProtocol(a.protocol())
        .setEventId(a.eventId())
        .setEventType(a.eventType())
        .setDecision(Decision.valueOf(a.decision().name()))
        .setReason(a.reason() == null ? null : RejectReason.valueOf(a.reason().name()))
        .setDetail(a.detail())
        .setStateBefore(a.stateBefore())
        .setStateAfter(a.stateAfter())
        .setSeq(a.seq())
        .setAt(Instant.ofEpochMilli(a.at()))
        .setInput(
            a.input() == null
                ? null
                : new io.statewarden.schema.InputRef(
                    a.input().topic(), a.input().partition(), a.input().offset()))
        .setProcessedAt(Instant.ofEpochMilli(processedAt))
        .setInstance(instance)
        .build();
  }

  private static Map<String, Object> data(Map<String, Object> data) {
    return new LinkedHashMap<>(data);
  }
}
