package io.statewarden.topology;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.json.EventJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves records in and out of the engine: loads the session, applies the event (or a logged timer),
 * writes the session back only when it changed (rule 12), keeps the deadline index, and forwards
 * transitions, backouts and audit records.
 *
 * <p>Live, a wall-clock punctuator looks for due deadlines in bounded batches and writes one timer
 * record per due session to the events topic; the deadline fires when that record is read back, so
 * the log decides the order of timeouts and events. In a replay there is no punctuator: only the
 * timers already in the log fire.
 */
final class EngineProcessor implements Processor<String, Object, String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(EngineProcessor.class);

  /** A logged timer, decoded from the events topic. */
  record TimerDue(long deadline, long seq) {}

  private final Engine engine;
  private final TopologyFactory.Settings settings;
  private final boolean live;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, byte[]> sessions;
  private DeadlineIndex deadlines;
  private CatchUpGate gate;
  private String task;
  private Metrics.Active active;

  EngineProcessor(Engine engine, TopologyFactory.Settings settings, boolean live) {
    this.engine = engine;
    this.settings = settings;
    this.live = live;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.sessions = context.getStateStore(TopologyFactory.SESSIONS_STORE);
    this.deadlines = new DeadlineIndex();
    this.gate = new CatchUpGate(context.currentSystemTimeMs(), settings.catchUpQuietMs());
    this.task = context.taskId().toString();
    this.active = settings.metrics().taskStarted(task, deadlines::size);
    try (KeyValueIterator<String, byte[]> it = sessions.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        Session s = SessionCodec.decode(kv.value);
        if (!s.isFinal()) active.add(s.protocol(), s.state(), 1);
        if (live) deadlines.move(kv.key, Session.NONE, engine.dueAt(s));
      }
    }
    if (live) {
      context.schedule(
          Duration.ofMillis(settings.punctuationIntervalMs()),
          PunctuationType.WALL_CLOCK_TIME,
          this::emitDue);
    }
  }

  @Override
  public void process(Record<String, Object> record) {
    String key = record.key();
    gate.onRecord(record.timestamp(), context.currentSystemTimeMs());
    try {
      Session current = Sessions.read(sessions, key);
      if (record.value() instanceof TimerDue t) {
        Result r = engine.onTimer(current, t.deadline(), t.seq());
        if (r.changed() && !r.outputs().isEmpty()) {
          settings.metrics().lateness(context.currentSystemTimeMs() - t.deadline());
        }
        apply(key, current, r);
        return;
      }
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
      apply(key, current, engine.onEvent(current, (Event) record.value()));
    } catch (RuntimeException e) {
      // a broken invariant, not a business outcome: keep the input, keep the thread
      LOG.error("Cannot process record of session {}; sent to the dead-letter topic", key, e);
      byte[] value =
          record.value() instanceof Event ev
              ? EventJson.write(ev)
              : String.valueOf(record.value()).getBytes(StandardCharsets.UTF_8);
      Record<byte[], byte[]> raw =
          new Record<>(
              key.getBytes(StandardCharsets.UTF_8), value, record.timestamp(), record.headers());
      Record<Object, Object> dead =
          DecodeProcessor.deadLetter(
              raw, e, record.value() instanceof Event ev ? ev.input() : null);
      context.forward(
          new Record<String, Object>(key, dead.value(), dead.timestamp(), dead.headers()),
          TopologyFactory.DLQ_SINK);
    }
  }

  /**
   * Writes a timer record for each session due by wall-clock {@code now}: at most a batch, then
   * yields.
   */
  void emitDue(long now) {
    if (!gate.isOpen(now)) {
      return; // still working through a backlog after (re)start: its events are logged first
    }
    for (DeadlineIndex.Entry entry : deadlines.takeDue(now, settings.maxFiresPerPunctuation())) {
      Session s = Sessions.read(sessions, entry.sessionId());
      if (s == null || engine.dueAt(s) != entry.deadline()) {
        continue; // cannot happen while the index follows every write; never fire a stale time
      }
      context.forward(
          new Record<String, Object>(
              entry.sessionId(), TimerRecords.of(s, entry.deadline()), entry.deadline()),
          TopologyFactory.TIMERS_SINK);
    }
  }

  @Override
  public void close() {
    settings.metrics().taskClosed(task);
  }

  private void apply(String key, Session before, Result r) {
    if (r.changed()) {
      Session after = r.session();
      if (before != null && !before.isFinal()) active.add(before.protocol(), before.state(), -1);
      if (after != null && !after.isFinal()) active.add(after.protocol(), after.state(), 1);
      Sessions.write(sessions, key, r.session());
      if (live) {
        long was = before == null ? Session.NONE : engine.dueAt(before);
        deadlines.move(key, was, after == null ? Session.NONE : engine.dueAt(after));
      }
    }
    long processedAt = context.currentSystemTimeMs();
    for (Output o : r.outputs()) {
      settings.metrics().record(o);
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
  }
}
