package io.statewarden.topology;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.json.EventJson;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves records in and out of the engine: loads the session, applies the event, writes the session
 * back only when it changed (rule 12), keeps the deadline index, and forwards transitions, backouts
 * and audit records. A wall-clock punctuator fires due deadlines in bounded batches.
 */
final class EngineProcessor implements Processor<String, Event, String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(EngineProcessor.class);

  private final Engine engine;
  private final TopologyFactory.Settings settings;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, byte[]> sessions;
  private DeadlineIndex deadlines;
  private CatchUpGate gate;

  EngineProcessor(Engine engine, TopologyFactory.Settings settings) {
    this.engine = engine;
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.sessions = context.getStateStore(TopologyFactory.SESSIONS_STORE);
    KeyValueStore<Bytes, byte[]> index = context.getStateStore(TopologyFactory.DEADLINES_STORE);
    this.deadlines = new DeadlineIndex(index);
    this.gate = new CatchUpGate(context.currentSystemTimeMs(), settings.catchUpQuietMs());
    context.schedule(
        Duration.ofMillis(settings.punctuationIntervalMs()),
        PunctuationType.WALL_CLOCK_TIME,
        this::fireDue);
  }

  @Override
  public void process(Record<String, Event> record) {
    Event event = record.value();
    String key = record.key();
    gate.onRecord(record.timestamp(), context.currentSystemTimeMs());
    try {
      Session current = Sessions.read(sessions, key);
      if (current != null && !engine.canRun(current)) {
        throw new IllegalStateException(
            "Expected protocol "
                + current.protocol()
                + "@"
                + current.version()
                + " of session "
                + key
                + " to be loaded, but it is not; load every version that has sessions in flight");
      }
      apply(key, engine.onEvent(current, event), dueAt(current));
    } catch (RuntimeException e) {
      // a broken invariant, not a business outcome: keep the input, keep the thread
      LOG.error(
          "Cannot process event {} of session {} from {}; sent to the dead-letter topic",
          event.eventId(),
          key,
          event.input(),
          e);
      Record<byte[], byte[]> raw =
          new Record<>(
              key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
              EventJson.write(event),
              record.timestamp(),
              record.headers());
      Record<Object, Object> dead = DecodeProcessor.deadLetter(raw, e, event.input());
      context.forward(
          new Record<String, Object>(null, dead.value(), dead.timestamp(), dead.headers())
              .withKey(key),
          TopologyFactory.DLQ_SINK);
    }
  }

  /** Fires what is due at wall-clock time {@code now}: at most a batch, then yields. */
  void fireDue(long now) {
    if (!gate.isOpen(now)) {
      return; // still working through a backlog after (re)start: its events come first
    }
    List<DeadlineIndex.Entry> due = deadlines.due(now, settings.maxFiresPerPunctuation());
    for (DeadlineIndex.Entry entry : due) {
      deadlines.remove(entry);
      Session s = Sessions.read(sessions, entry.sessionId());
      long current = dueAt(s);
      if (current == Session.NONE || current < entry.deadline()) {
        continue; // stale: nothing due any more, or an earlier due time has its own entry
      }
      if (current > now) {
        // stale: the due time moved later and was not written then (see apply); this entry
        // stood for it and moves there
        deadlines.add(current, entry.sessionId());
        continue;
      }
      try {
        // due (at this entry's time, or at a later one that has passed too); this entry is
        // gone, so whatever the session is due at next needs one
        apply(entry.sessionId(), engine.onTime(s, current), Session.NONE);
      } catch (RuntimeException e) {
        LOG.error(
            "Cannot fire deadline {} of session {}; kept for the next start",
            current,
            entry.sessionId(),
            e);
        deadlines.add(current, entry.sessionId());
      }
    }
  }

  private long dueAt(Session s) {
    return s == null ? Session.NONE : engine.dueAt(s);
  }

  /**
   * Writes the session and the outputs. The index holds, for every session with a due time, an
   * entry at or before it; {@code indexed} is the due time such an entry covers ({@link
   * Session#NONE}: none is known). A due time that moves later needs no write: the earlier entry
   * re-arms itself when it comes due (see {@link #fireDue}). So an entry is written only when a
   * session gets its first due time or one earlier than before, not on every move.
   */
  private void apply(String key, Result r, long indexed) {
    if (r.changed()) {
      Sessions.write(sessions, key, r.session());
      long now = dueAt(r.session());
      if (now != Session.NONE && (indexed == Session.NONE || now < indexed)) {
        deadlines.add(now, key);
      }
    }
    long processedAt = context.currentSystemTimeMs();
    for (Output o : r.outputs()) {
      Object avro = AvroMapping.record(o, processedAt, settings.instanceId());
      String sink =
          o instanceof Output.Transition
              ? TopologyFactory.TRANSITIONS_SINK
              : o instanceof Output.Backout
                  ? TopologyFactory.BACKOUTS_SINK
                  : TopologyFactory.AUDIT_SINK;
      long at =
          o instanceof Output.Transition t
              ? t.at()
              : o instanceof Output.Backout b ? b.at() : ((Output.Audit) o).at();
      context.forward(new Record<>(o.sessionId(), avro, at), sink);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("session {}: {} outputs", key, r.outputs().size());
    }
  }
}
