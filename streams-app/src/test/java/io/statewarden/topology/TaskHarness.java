package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.metrics.Metrics;
import io.statewarden.metrics.MetricsTest;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * One task of the engine with exactly-once semantics around it, driven step by step: the events
 * partition as a list (input events and the timer records the task writes), a read position, the
 * wall clock, and a transaction per step. A step that throws is aborted the way Kafka Streams
 * aborts it: its outputs are dropped, the store goes back to the last commit (a restore from the
 * changelog), the processor is created and initialized again, and the same input is read again.
 *
 * <p>The processor is the real {@link EngineProcessor} with a real in-memory Kafka Streams store,
 * through Kafka's {@link MockProcessorContext}; faults are injected at the two places a failure
 * around the engine comes from: a store write, and a forward (a serializer or producer failure).
 */
final class TaskHarness {
  /** One record of the events partition. */
  record Logged(String key, Object value, long timestamp) {}

  final Engine engine;
  final Metrics metrics = new Metrics();
  final int maxFires;
  final List<Logged> log = new ArrayList<>();
  int readPos;
  long wallClock;
  final List<Transition> transitions = new ArrayList<>();
  final List<AuditRecord> audits = new ArrayList<>();
  final List<Backout> backouts = new ArrayList<>();
  final List<Record<?, ?>> deadLetters = new ArrayList<>();

  /** Timer records written (a batch counts once). */
  int timersWritten;

  int aborts;

  /** Faults armed for the next step. */
  boolean failNextPut;

  boolean failNextForward;

  /** The gate opens once the task has read up to the end the log had when the task started. */
  boolean offsetGate = true;

  private Map<Bytes, byte[]> committed = new HashMap<>();

  /** An index store to hand the next start instead of a fresh one (a store kept across starts). */
  private KeyValueStore<String, byte[]> keptIndex;

  private Map<Bytes, byte[]> committedProgress = new HashMap<>();
  KeyValueStore<String, byte[]> indexStore;
  KeyValueStore<String, byte[]> progressStore;
  int migrationsWritten;
  private Ctx context;
  private FaultyStore store;
  private EngineProcessor processor;
  private int gateTarget;

  TaskHarness(Engine engine, int maxFires, long wallClock) {
    this.engine = engine;
    this.maxFires = maxFires;
    this.wallClock = wallClock;
    start();
  }

  /** A producer appends an event to the events partition. */
  void produce(Event e) {
    log.add(
        new Logged(
            e.sessionId(), e.withInput(new InputRef("events", 0, log.size())), e.timestamp()));
  }

  /** The API appends a migration's record for this partition (partition 0). */
  void produce(io.statewarden.engine.Migration m) {
    log.add(new Logged(MigrationRecords.key(m.id()), m, m.timestamp()));
  }

  /** A migration's committed progress in this partition, or null. */
  io.statewarden.state.MigrationProgress progress(String migrationId) {
    return io.statewarden.state.MigrationProgress.decode(
        committedProgress.get(
            Bytes.wrap(migrationId.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
  }

  /** Writes a raw value into the committed store, as if an older or broken writer had. */
  void storeRaw(String id, byte[] value) {
    committed.put(Bytes.wrap(id.getBytes(java.nio.charset.StandardCharsets.UTF_8)), value);
    start();
  }

  boolean hasUnread() {
    return readPos < log.size();
  }

  /** Reads the next record of the partition in its own transaction; false when none is left. */
  boolean deliver() {
    if (!hasUnread()) {
      return false;
    }
    Logged r = log.get(readPos);
    context.setRecordMetadata("events", 0, readPos);
    context.setCurrentSystemTimeMs(wallClock);
    try {
      processor.process(new Record<>(r.key(), r.value(), r.timestamp()));
    } catch (RuntimeException e) {
      abort();
      return true;
    }
    commit();
    readPos++;
    return true;
  }

  /** Moves the wall clock to {@code now} and runs the task's punctuator, in its own transaction. */
  void punctuate(long now) {
    wallClock = Math.max(wallClock, now);
    context.setCurrentSystemTimeMs(wallClock);
    try {
      for (MockProcessorContext.CapturedPunctuator p : context.scheduledPunctuators()) {
        p.getPunctuator().punctuate(wallClock);
      }
    } catch (RuntimeException e) {
      abort();
      return;
    }
    commit();
  }

  /** The task is closed and started again from the committed store (a rebalance, a restart). */
  void restart() {
    context.resetForwards();
    start();
  }

  int pendingDeadlines() {
    return (int) MetricsTest.value(MetricsTest.scrape(metrics), "statewarden_deadlines_pending");
  }

  boolean stored(String id) {
    return committed.containsKey(Bytes.wrap(id.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private void commit() {
    for (MockProcessorContext.CapturedForward<? extends String, ?> f : context.forwarded()) {
      Record<? extends String, ?> r = f.record();
      String child = f.childName().orElseThrow();
      switch (child) {
        case TopologyFactory.TIMERS_SINK -> {
          RecordMac.ToSign signed = (RecordMac.ToSign) r.value();
          assertThat(signed.key()).isEqualTo(r.key());
          ProtocolEvent t = (ProtocolEvent) signed.value();
          if (MigrationRecords.isMigration(t)) {
            assertThat(signed.partition())
                .as("a continuation goes to the task's partition")
                .isZero();
            log.add(
                new Logged(r.key(), MigrationRecords.read(t, r.timestamp(), null), r.timestamp()));
            migrationsWritten++;
            continue;
          }
          Object timer = TimerRecords.read(t);
          if (timer instanceof EngineProcessor.TimersDue batch) {
            assertThat(signed.partition()).as("a batch goes to the task's partition").isZero();
            // the seq logged is the stored session's (the index keeps it; nothing is read back)
            Map<Bytes, byte[]> now = store.snapshot();
            for (TimerRecords.Due d : batch.due()) {
              byte[] stored =
                  now.get(
                      Bytes.wrap(d.sessionId().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
              assertThat(stored)
                  .as("the stored session %s of a logged timer", d.sessionId())
                  .isNotNull();
              assertThat(d.seq())
                  .as("the seq logged for %s", d.sessionId())
                  .isEqualTo(io.statewarden.engine.SessionCodec.decode(stored).seq());
            }
          }
          log.add(new Logged(r.key(), timer, r.timestamp()));
          timersWritten++;
        }
        // each output as the sink writes it (ContractAvro), read back by Avro's own reader
        case TopologyFactory.TRANSITIONS_SINK ->
            transitions.add((Transition) PlainAvro.written(Transition.getClassSchema(), r.value()));
        case TopologyFactory.AUDIT_SINK ->
            audits.add((AuditRecord) PlainAvro.written(AuditRecord.getClassSchema(), r.value()));
        case TopologyFactory.BACKOUTS_SINK ->
            backouts.add((Backout) PlainAvro.written(Backout.getClassSchema(), r.value()));
        case TopologyFactory.DLQ_SINK -> deadLetters.add(r);
        default -> throw new AssertionError("forward to " + child);
      }
    }
    context.resetForwards();
    committed = store.snapshot();
    committedProgress = new FaultyStore(progressStore).snapshot();
  }

  /** Session ids in the committed store. */
  java.util.Set<String> storedIds() {
    java.util.Set<String> ids = new java.util.TreeSet<>();
    committed
        .keySet()
        .forEach(k -> ids.add(new String(k.get(), java.nio.charset.StandardCharsets.UTF_8)));
    return ids;
  }

  /** The committed session, decoded. */
  io.statewarden.engine.Session session(String id) {
    return io.statewarden.engine.SessionCodec.decode(
        committed.get(Bytes.wrap(id.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
  }

  /**
   * Starts the task again with the index store it has now plus {@code ghost}, a key no session has,
   * instead of a fresh one: what a store kept across a re-initialization would hold at worst.
   */
  void restartWithStaleIndex(String ghost) {
    keptIndex = indexStore;
    this.ghost = ghost;
    start();
  }

  private String ghost;

  private void abort() {
    aborts++;
    failNextForward = false;
    failNextPut = false;
    context.resetForwards();
    start();
  }

  private void start() {
    if (processor != null) {
      processor.close();
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "harness");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    context = new Ctx(props);
    context.setCurrentSystemTimeMs(wallClock);
    KeyValueStore<String, byte[]> inner =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(TopologyFactory.SESSIONS_STORE),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    inner.init(context.getStateStoreContext(), inner);
    committed.forEach(
        (k, v) -> inner.put(new String(k.get(), java.nio.charset.StandardCharsets.UTF_8), v));
    store = new FaultyStore(inner);
    context.addStateStore(store);
    // derived, in memory, unlogged (decision 0025): fresh at every start, as the topology has it
    if (keptIndex != null) {
      indexStore = keptIndex;
      keptIndex = null;
      indexStore.put(ghost, new byte[0]); // after the processor's close, before its init
    } else {
      indexStore =
          Stores.keyValueStoreBuilder(
                  io.statewarden.state.SkipListStore.supplier(TopologyFactory.SESSION_INDEX_STORE),
                  Serdes.String(),
                  Serdes.ByteArray())
              .withLoggingDisabled()
              .withCachingDisabled()
              .build();
      indexStore.init(context.getStateStoreContext(), indexStore);
    }
    context.addStateStore(indexStore);
    progressStore =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(TopologyFactory.MIGRATIONS_STORE),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    progressStore.init(context.getStateStoreContext(), progressStore);
    committedProgress.forEach(
        (k, v) ->
            progressStore.put(new String(k.get(), java.nio.charset.StandardCharsets.UTF_8), v));
    context.addStateStore(progressStore);
    gateTarget = log.size();
    CatchUp catchUp =
        (app, partition) ->
            new CatchUp.Gate() {
              @Override
              public boolean isOpen() {
                return !offsetGate || readPos >= gateTarget;
              }

              @Override
              public void close() {}
            };
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "harness")
            .punctuation(100, maxFires)
            .catchUp(catchUp)
            .metrics(metrics)
            .build();
    processor = new EngineProcessor(engine, settings, true);
    processor.init(context);
  }

  /** Kafka's mock context, failing a forward when armed (as a failing serializer would). */
  private final class Ctx extends MockProcessorContext<String, Object> {
    Ctx(Properties props) {
      super(props);
    }

    @Override
    public <K extends String, V> void forward(Record<K, V> record, String childName) {
      if (failNextForward && !TopologyFactory.DLQ_SINK.equals(childName)) {
        failNextForward = false;
        throw new StreamsException("injected: serializer for " + childName + " failed");
      }
      super.forward(record, childName);
    }
  }

  /** The store, failing a write when armed (as RocksDB would with ProcessorStateException). */
  private final class FaultyStore implements KeyValueStore<String, byte[]> {
    private final KeyValueStore<String, byte[]> inner;

    FaultyStore(KeyValueStore<String, byte[]> inner) {
      this.inner = inner;
    }

    Map<Bytes, byte[]> snapshot() {
      Map<Bytes, byte[]> m = new HashMap<>();
      try (KeyValueIterator<String, byte[]> it = inner.all()) {
        it.forEachRemaining(
            kv ->
                m.put(
                    Bytes.wrap(kv.key.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    kv.value));
      }
      return m;
    }

    private void write() {
      if (failNextPut) {
        failNextPut = false;
        throw new ProcessorStateException("injected: RocksDB write failed");
      }
    }

    @Override
    public void put(String key, byte[] value) {
      write();
      inner.put(key, value);
    }

    @Override
    public byte[] putIfAbsent(String key, byte[] value) {
      write();
      return inner.putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<KeyValue<String, byte[]>> entries) {
      write();
      inner.putAll(entries);
    }

    @Override
    public byte[] delete(String key) {
      write();
      return inner.delete(key);
    }

    @Override
    public byte[] get(String key) {
      return inner.get(key);
    }

    @Override
    public KeyValueIterator<String, byte[]> range(String from, String to) {
      return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<String, byte[]> all() {
      return inner.all();
    }

    @Override
    public long approximateNumEntries() {
      return inner.approximateNumEntries();
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {}

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public boolean persistent() {
      return false;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public org.apache.kafka.streams.query.Position getPosition() {
      return inner.getPosition();
    }
  }
}
