package io.statewarden.topology;

import io.statewarden.engine.Command;
import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.Migration;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.json.EventJson;
import io.statewarden.metrics.Metrics;
import io.statewarden.protocol.Protocol;
import io.statewarden.state.MigrationProgress;
import io.statewarden.state.MutableSessionState;
import io.statewarden.state.SessionIndex;
import io.statewarden.state.StoreSessionState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves records in and out of the engine: decode the stored session, run the engine, put the
 * session, forward the outputs. Only the first two can turn an input into a dead letter (a stored
 * session this version cannot decode, an engine bug); a failure to write the store or to forward
 * (serialize, produce) propagates, so the task's transaction aborts and the input is processed
 * again from the last commit: never a lost output, never a good input dead-lettered.
 *
 * <p>Live, a wall-clock punctuator takes due sessions out of the session state in bounded batches
 * and writes them, in due order, as one timer record to the task's own partition of the events
 * topic (more only where one would pass {@link TimerRecords#MAX_BATCH_BYTES}); each deadline fires
 * when that record is read back, in that order, so the log decides the order of timeouts and events
 * (docs/decisions/0004, 0023). In a replay there is no punctuator: only the timers already in the
 * log fire.
 */
final class EngineProcessor implements Processor<String, Object, String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(EngineProcessor.class);

  /**
   * A logged timer, decoded from the events topic; {@code seq} is the session's seq when it was
   * written, kept for the record (the rule does not read it: docs/decisions/0006).
   */
  record TimerDue(long deadline, long seq) {}

  /** A logged batch of timers, fired in this order, each as its own {@link TimerDue}. */
  record TimersDue(List<TimerRecords.Due> due) {}

  private final Engine engine;
  private final TopologyFactory.Settings settings;
  private final boolean live;
  private ProcessorContext<String, Object> context;
  private volatile MutableSessionState state; // read by the metrics renderer too
  private List<MutableSessionState.Undecodable> toQuarantine = List.of();
  private CatchUp.Gate gate;
  private String task;
  private KeyValueStore<String, byte[]> listIndex;
  private KeyValueStore<String, byte[]> progress;

  EngineProcessor(Engine engine, TopologyFactory.Settings settings, boolean live) {
    this.engine = engine;
    this.settings = settings;
    this.live = live;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    KeyValueStore<String, byte[]> store = context.getStateStore(TopologyFactory.SESSIONS_STORE);
    this.task = context.taskId().toString();
    Metrics.Active active =
        settings.metrics().taskStarted(task, () -> state == null ? 0 : state.pendingDeadlines());
    this.listIndex = context.getStateStore(TopologyFactory.SESSION_INDEX_STORE);
    this.progress = context.getStateStore(TopologyFactory.MIGRATIONS_STORE);
    this.state = new StoreSessionState(store, listIndex, live ? engine::dueAt : null, active);
    this.toQuarantine = state.rebuild();
    if (live) {
      this.gate = settings.catchUp().open(context.applicationId(), context.taskId().partition());
      context.schedule(
          Duration.ofMillis(settings.punctuationIntervalMs()),
          PunctuationType.WALL_CLOCK_TIME,
          this::emitDue);
    }
  }

  @Override
  public void process(Record<String, Object> record) {
    quarantine();
    if (record.value() instanceof Migration m) {
      migrate(record, m);
      return;
    }
    if (record.value() instanceof TimersDue batch) {
      // each as the single timer record of that session would be: same rule, same outputs
      for (TimerRecords.Due d : batch.due()) {
        processOne(
            new Record<>(
                d.sessionId(),
                new TimerDue(d.deadline(), d.seq()),
                d.deadline(),
                record.headers()));
      }
      return;
    }
    processOne(record);
  }

  private void processOne(Record<String, Object> record) {
    String key = record.key();
    Session current;
    Result r;
    List<Record<String, Object>> out;
    try {
      current = state.get(key);
      r = decide(current, record.value(), state::live);
      out = records(r);
    } catch (RuntimeException e) {
      // the computation refused this input (a stored session it cannot decode, a protocol version
      // not loaded, an engine bug): nothing was written yet; keep the input, keep the thread
      deadLetter(record, e);
      return;
    }
    if (r.changed()) {
      state.put(key, current, r.session());
    }
    for (int i = 0; i < out.size(); i++) {
      settings.metrics().record(r.outputs().get(i));
      if (published(r.outputs().get(i))) {
        context.forward(out.get(i), sinkOf(r.outputs().get(i)));
      }
    }
    if (record.value() instanceof TimerDue t && !out.isEmpty()) {
      long now = context.currentSystemTimeMs();
      settings.metrics().deadlineFired(now, now - t.deadline());
    }
  }

  private Result decide(Session current, Object value, Engine.Occupancy occupancy) {
    if (value instanceof TimerDue t) {
      return engine.onTimer(current, t.deadline());
    }
    if (current != null && !engine.canRun(current)) {
      throw new IllegalStateException(
          "Expected protocol "
              + current.protocol()
              + "@"
              + current.version()
              + " of session "
              + current.id()
              + " to be loaded, but it is not; load every version that has sessions in flight");
    }
    if (value instanceof Command c) {
      return engine.onCommand(current, c);
    }
    return engine.onEvent(current, (Event) value, occupancy);
  }

  /**
   * Applies one chunk of a migration to this task's sessions (docs/decisions/0018): the first
   * {@code chunkSize} selected sessions still on the source version that have not taken it, in the
   * order of the session list index (state name, then time entered, then id); then, live, a
   * continuation record for the next chunk into this partition, when the chunk was full. Sessions,
   * outputs, progress and continuation commit in the task's transaction, so a crash resumes from
   * the last whole chunk. A record whose chunk is not the next one (the same request logged twice,
   * a continuation read again) changes nothing. A replay writes no continuation: it reads the live
   * run's. A migration whose versions are not loaded is dead-lettered and the partition's progress
   * marked done and failed, so its followers stop waiting. {@code refused} counts the sessions
   * given a {@code REJECTED} audit of this migration.
   */
  private void migrate(Record<String, Object> record, Migration m) {
    MigrationProgress before = MigrationProgress.decode(progress.get(m.id()));
    boolean next =
        m.chunk() == 0
            ? before == null
            : before != null && !before.done() && before.chunk() == m.chunk() - 1;
    if (!next) {
      LOG.info(
          "Migration {} chunk {} of task {} already applied (progress {}); ignored",
          m.id(),
          m.chunk(),
          task,
          before);
      return;
    }
    Protocol from = engine.catalog().get(m.protocol(), m.from()).orElse(null);
    if (from == null || engine.catalog().get(m.protocol(), m.to()).isEmpty()) {
      deadLetter(
          record,
          new IllegalStateException(
              "Expected "
                  + m.protocol()
                  + " v"
                  + m.from()
                  + " and v"
                  + m.to()
                  + " to be loaded for migration "
                  + m.id()
                  + ", but they are not"));
      // done, failed: the CLI and GET /migrations/{id} see it rather than wait for it
      long migrated = before == null ? 0 : before.migrated();
      long refused = before == null ? 0 : before.refused();
      progress.put(
          m.id(),
          new MigrationProgress(m.chunk(), migrated, refused, true, m.total(), true).encode());
      return;
    }
    List<String> ids = new ArrayList<>();
    SessionIndex index = new SessionIndex(listIndex);
    for (String s : Migration.selected(from, m.states())) {
      index.sessions(
          m.protocol(),
          m.from(),
          s,
          id -> (m.ids().isEmpty() || m.ids().contains(id)) && !taken(id, m),
          m.chunkSize(),
          ids);
      if (ids.size() >= m.chunkSize()) break;
    }
    long migrated = before == null ? 0 : before.migrated();
    long refused = before == null ? 0 : before.refused();
    for (String id : ids) {
      Session current = state.get(id);
      Result r = engine.onMigration(current, m);
      List<Record<String, Object>> out = records(r);
      if (r.changed()) {
        state.put(id, current, r.session());
      }
      if (r.session() != null && r.session().version() == m.to()) {
        migrated++;
      } else if (refusedBy(r, m)) {
        refused++;
      }
      for (int i = 0; i < out.size(); i++) {
        settings.metrics().record(r.outputs().get(i));
        if (published(r.outputs().get(i))) {
          context.forward(out.get(i), sinkOf(r.outputs().get(i)));
        }
      }
    }
    boolean done = ids.size() < m.chunkSize();
    progress.put(
        m.id(),
        new MigrationProgress(m.chunk(), migrated, refused, done, m.total(), false).encode());
    if (!done && live) {
      long at = Math.max(record.timestamp(), context.currentSystemTimeMs());
      Migration more = m.next(m.chunk() + 1, at);
      context.forward(
          new Record<String, Object>(
              record.key(),
              new RecordMac.ToSign(
                  record.key(), MigrationRecords.of(more), context.taskId().partition()),
              at),
          TopologyFactory.TIMERS_SINK); // to this partition, whatever its key
    }
  }

  /** Was the session refused {@code m} (a due deadline that ended it is not a refusal)? */
  private static boolean refusedBy(Result r, Migration m) {
    for (Output o : r.outputs()) {
      if (o instanceof Output.Audit a
          && a.decision() == Output.Decision.REJECTED
          && m.id().equals(a.eventId())) {
        return true;
      }
    }
    return false;
  }

  /** Has session {@code id} taken (or been refused) migration {@code m} already? */
  private boolean taken(String id, Migration m) {
    Session s = state.get(id);
    return s == null || s.eventIds().contains(m.id());
  }

  private List<Record<String, Object>> records(Result r) {
    long processedAt = context.currentSystemTimeMs();
    List<Record<String, Object>> out = new ArrayList<>(r.outputs().size());
    for (Output o : r.outputs()) {
      // written straight from the output by ContractSerializer: no Avro record is built here
      out.add(
          new Record<>(
              o.sessionId(), new ContractOutput(o, processedAt, settings.instanceId()), o.at()));
    }
    return out;
  }

  /**
   * Everything but, with {@code statewarden.audit.accepted=false}, an audit its transition repeats.
   */
  private boolean published(Output o) {
    return settings.auditAccepted() || !(o instanceof Output.Audit a && a.repeatsItsTransition());
  }

  private static String sinkOf(Output o) {
    return o instanceof Output.Transition
        ? TopologyFactory.TRANSITIONS_SINK
        : o instanceof Output.Backout ? TopologyFactory.BACKOUTS_SINK : TopologyFactory.AUDIT_SINK;
  }

  private void deadLetter(Record<String, Object> record, RuntimeException e) {
    String key = record.key();
    LOG.error("Cannot process record of session {}; sent to the dead-letter topic", key, e);
    byte[] value =
        record.value() instanceof Event ev
            ? EventJson.write(ev)
            : String.valueOf(record.value()).getBytes(StandardCharsets.UTF_8);
    Record<byte[], byte[]> raw =
        new Record<>(
            key.getBytes(StandardCharsets.UTF_8), value, record.timestamp(), record.headers());
    Record<Object, Object> dead =
        DecodeProcessor.deadLetter(raw, e, record.value() instanceof Event ev ? ev.input() : null);
    context.forward(
        new Record<String, Object>(key, dead.value(), dead.timestamp(), dead.headers()),
        TopologyFactory.DLQ_SINK);
  }

  /**
   * Moves the stored values the last rebuild could not decode to the dead-letter topic and out of
   * the store, in the task's transaction: one bad value costs that session, not the task.
   */
  private void quarantine() {
    if (toQuarantine.isEmpty()) {
      return;
    }
    for (MutableSessionState.Undecodable u : toQuarantine) {
      LOG.error(
          "Stored session {} of task {} cannot be decoded; quarantined to the dead-letter topic",
          u.sessionId(),
          task,
          u.error());
      Record<byte[], byte[]> raw =
          new Record<>(
              u.sessionId().getBytes(StandardCharsets.UTF_8),
              u.value(),
              context.currentSystemTimeMs(),
              new RecordHeaders());
      Record<Object, Object> dead =
          DecodeProcessor.deadLetter(
              raw,
              u.error(),
              new io.statewarden.engine.InputRef(
                  context.applicationId() + "-" + TopologyFactory.SESSIONS_STORE + "-changelog",
                  context.taskId().partition(),
                  -1));
      context.forward(
          new Record<String, Object>(u.sessionId(), dead.value(), dead.timestamp(), dead.headers()),
          TopologyFactory.DLQ_SINK);
      state.quarantine(u.sessionId());
      settings.metrics().quarantined();
    }
    toQuarantine = List.of();
  }

  /**
   * Logs the sessions due by wall-clock {@code now}, at most {@code maxFiresPerPunctuation}, then
   * yields: as one batch record (decision 0023), or with {@code batchTimers} off as one record per
   * session, the format earlier versions read.
   */
  void emitDue(long now) {
    quarantine();
    if (!gate.isOpen()) {
      return; // still reading the input that waited when the task started: it is logged first
    }
    List<MutableSessionState.Due> taken =
        new ArrayList<>(state.takeDue(now, settings.maxFiresPerPunctuation()));
    taken.sort(java.util.Comparator.comparingLong(MutableSessionState.Due::deadline)); // due order
    List<TimerRecords.Due> due = new ArrayList<>();
    for (MutableSessionState.Due d : taken) {
      if (settings.batchTimers()) {
        // the index keeps the seq: a storm's punctuation reads no session back (issue 16)
        due.add(new TimerRecords.Due(d.sessionId(), d.deadline(), d.seq()));
        continue;
      }
      Session s = state.get(d.sessionId());
      if (s != null) { // a deleted session's entry left the index with its put
        forwardTimer(d.sessionId(), TimerRecords.of(s, d.deadline()), d.deadline(), -1);
      }
    }
    if (due.isEmpty()) {
      return;
    }
    int partition = context.taskId().partition();
    for (List<TimerRecords.Due> batch : TimerRecords.split(due, settings.maxRecordBytes())) {
      long last = batch.get(batch.size() - 1).deadline();
      forwardTimer(
          TimerRecords.batchKey(partition), TimerRecords.batch(partition, batch), last, partition);
    }
  }

  /** Signed by the sink: only statewarden's timers fire. */
  private void forwardTimer(String key, Object timer, long timestamp, int partition) {
    context.forward(
        new Record<String, Object>(key, new RecordMac.ToSign(key, timer, partition), timestamp),
        TopologyFactory.TIMERS_SINK);
  }

  @Override
  public void close() {
    if (gate != null) {
      gate.close();
    }
    if (state != null) {
      state.close();
    }
    settings.metrics().taskClosed(task);
  }
}
