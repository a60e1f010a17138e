package io.statewarden.bench;

import io.statewarden.engine.Session;
import io.statewarden.engine.TestSessions;
import io.statewarden.protocol.Outcome;
import io.statewarden.state.SessionIndex;
import io.statewarden.state.SessionState;
import io.statewarden.state.StoreSessionState;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One page of {@code GET /sessions} from one task holding 1,000,000 sessions, over real RocksDB
 * stores (Kafka Streams' own, caching off, as the processor has them): 5 protocols x 6 states,
 * entry times spread over a day, 10% final. {@code scanBaseline} is what answering without the
 * index costs: decode every session, keep the oldest 100 that match.
 *
 * <p>{@code ./mvnw -pl streams-app -am -Pbench-engine verify -DskipTests
 * -Dbench.args=SessionListBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = "-Xmx2g")
public class SessionListBenchmark {
  static final int SESSIONS = Integer.getInteger("bench.sessions", 1_000_000);
  static final long DAY = 86_400_000L;
  static final long BASE = 1_767_225_600_000L;

  File dir;
  KeyValueStore<String, byte[]> sessions;
  KeyValueStore<String, byte[]> index;
  SessionIndex list;
  SessionIndex.Cursor midway;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("session-list-bench").toFile();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    MockProcessorContext<String, Object> ctx =
        new MockProcessorContext<>(props, new TaskId(0, 0), dir);
    sessions = rocks(ctx, "sessions");
    index = inMemory(ctx, "sessions-by-state"); // as the task has it (decision 0025)
    StoreSessionState state = new StoreSessionState(sessions, index, null, (p, s, n) -> {});
    Random r = new Random(42);
    long began = System.nanoTime();
    for (int i = 0; i < SESSIONS; i++) {
      int p = r.nextInt(5);
      boolean done = r.nextInt(10) == 0;
      Session s =
          TestSessions.of(
              String.format("%08x-%d", r.nextInt(), i),
              "proto-" + p,
              1,
              done ? "DONE" : "S" + r.nextInt(5),
              BASE + (long) (r.nextDouble() * DAY),
              done ? Outcome.COMPLETED : null);
      state.put(s.id(), null, s);
    }
    sessions.flush();
    index.flush();
    System.out.printf(
        "%n%,d sessions written in %.1f s%n", SESSIONS, (System.nanoTime() - began) / 1e9);
    // what a task start costs now that the index is in memory (decision 0025): a rebuild from
    // the sessions into an empty index, and the heap that index holds
    index.close();
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapBefore = rt.totalMemory() - rt.freeMemory();
    index = inMemory(ctx, "sessions-by-state");
    began = System.nanoTime();
    new StoreSessionState(sessions, index, null, (p, s, n) -> {}).rebuild();
    double rebuildSecs = (System.nanoTime() - began) / 1e9;
    System.gc();
    long heapAfter = rt.totalMemory() - rt.freeMemory();
    System.out.printf(
        "index rebuilt from %,d sessions in %.1f s; its heap ~%,d MiB (%d bytes per session)%n",
        SESSIONS, rebuildSecs, (heapAfter - heapBefore) >> 20, (heapAfter - heapBefore) / SESSIONS);
    List<SessionIndex.Entry> half =
        list().page(new SessionIndex.Filter(null, null, BASE + DAY / 2), null, 1);
    midway = SessionIndex.Cursor.parse(half.get(0).cursor());
    list = list();
  }

  private SessionIndex list() {
    return new SessionIndex(index);
  }

  private static KeyValueStore<String, byte[]> rocks(
      MockProcessorContext<String, Object> ctx, String name) {
    return init(ctx, Stores.persistentKeyValueStore(name));
  }

  private static KeyValueStore<String, byte[]> inMemory(
      MockProcessorContext<String, Object> ctx, String name) {
    return init(ctx, io.statewarden.state.SkipListStore.supplier(name));
  }

  private static KeyValueStore<String, byte[]> init(
      MockProcessorContext<String, Object> ctx,
      org.apache.kafka.streams.state.KeyValueBytesStoreSupplier supplier) {
    KeyValueStore<String, byte[]> s =
        Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    s.init(ctx.getStateStoreContext(), s);
    return s;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws java.io.IOException {
    sessions.close();
    index.close();
    org.apache.kafka.common.utils.Utils.delete(dir);
  }

  /** {@code ?protocol=proto-0&state=S1&limit=100} */
  @Benchmark
  public List<SessionIndex.Entry> protocolAndState() {
    return list.page(new SessionIndex.Filter("proto-0", "S1", null), null, 100);
  }

  /** {@code ?protocol=proto-0&state=S1&olderThan=...&limit=100}: stuck for most of the day */
  @Benchmark
  public List<SessionIndex.Entry> protocolStateOlderThan() {
    return list.page(new SessionIndex.Filter("proto-0", "S1", BASE + DAY / 10), null, 100);
  }

  /** {@code ?protocol=proto-0&limit=100}: 6 groups merged */
  @Benchmark
  public List<SessionIndex.Entry> protocolOnly() {
    return list.page(new SessionIndex.Filter("proto-0", null, null), null, 100);
  }

  /** {@code ?limit=100}: all 30 groups merged */
  @Benchmark
  public List<SessionIndex.Entry> everything() {
    return list.page(SessionIndex.Filter.ALL, null, 100);
  }

  /** {@code ?limit=100&after=...}: a page from the middle of the day */
  @Benchmark
  public List<SessionIndex.Entry> everythingAfterCursor() {
    return list.page(SessionIndex.Filter.ALL, midway, 100);
  }

  /** Without the index: decode every session, keep the oldest 100 of proto-0 in S1. */
  @Benchmark
  @Warmup(iterations = 1, time = 1)
  @Measurement(iterations = 3, time = 1)
  public List<String> scanBaseline() {
    PriorityQueue<Session> oldest =
        new PriorityQueue<>(Comparator.comparingLong(Session::enteredAt).reversed());
    try (KeyValueIterator<String, byte[]> it = sessions.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        Session s = SessionState.decode(kv.key, kv.value);
        if (s.protocol().equals("proto-0") && s.state().equals("S1")) {
          oldest.add(s);
          if (oldest.size() > 100) oldest.poll();
        }
      }
    }
    List<String> ids = new ArrayList<>();
    oldest.forEach(s -> ids.add(s.id()));
    return ids;
  }
}
