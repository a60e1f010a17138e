package io.statewarden.bench;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.engine.SessionCodecBaseline;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.state.DeadlineIndex;
import io.statewarden.state.DeadlineIndexBaseline;
import io.statewarden.state.SessionIndex;
import io.statewarden.state.SkipListStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.utils.Bytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The processor's per-record work around the engine (issue 16), each before (the code as it was,
 * kept in test as {@link SessionCodecBaseline} and {@link DeadlineIndexBaseline}) and after, on one
 * core:
 *
 * <ul>
 *   <li>{@code SessionCodec} encode and decode of the sessions the processor stores in case 1's mix
 *       ({@link Workload#mix}, the built-in protocols): every session as stored after each event of
 *       2,000 sessions, mid-run and final, with their histories;
 *   <li>{@code DeadlineIndex.move} as case 1 and 3 move it: 67,000 sessions with due times spread
 *       over a minute, each move shifting one session's due time to now plus one of the protocols'
 *       state timeouts (5 to 60 s) or to none, record time advancing 0.1 ms per move, and a
 *       punctuation taking what is due every simulated second;
 *   <li>the session list index's moves ({@code SkipListStore.move}) as one task of case 1 makes
 *       them: the changes of the sessions of one partition in six while 600,000 events of case 1's
 *       mix run through the engine; before, the single skip list of UTF-8 string keys that decision
 *       25 shipped (the keys built, serialized as the store's string serde does, one remove and one
 *       put), after, the per-group maps compared by time and id.
 * </ul>
 *
 * Run: {@code ./mvnw -pl streams-app -am -Pbench-engine verify -DskipTests
 * -Dbench.args=HotPathBenchmark} (add {@code " -prof gc"} for allocation), or with {@code
 * -Dbench.args="hotpath-interleaved 30"} alternating before and after in short rounds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotPathBenchmark {
  static final int CODED = 10_000;
  static final int MOVES = 100_000;
  static final int SESSIONS = 67_000;
  static final long T0 = 1_700_000_000_000L;

  /** 10,000 sessions as the processor stores them after an event, and their bytes. */
  @State(Scope.Thread)
  public static class Codec {
    Session[] sessions;
    byte[][] stored;

    @Setup
    public void setup() throws Exception {
      Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
      List<Session> out = new ArrayList<>();
      Map<String, Session> open = new HashMap<>();
      for (Workload.Rec r : Workload.mix("s", 2 * CODED, 2_000, 10, T0, 42)) {
        Result res = engine.onEvent(open.get(r.key()), r.event());
        if (res.changed()) {
          open.put(r.key(), res.session());
          out.add(res.session());
        }
      }
      sessions = new Session[CODED];
      for (int i = 0; i < CODED; i++) sessions[i] = out.get((int) ((long) i * out.size() / CODED));
      stored = Arrays.stream(sessions).map(SessionCodec::encode).toArray(byte[][]::new);
    }
  }

  /**
   * A run of moves (session, due time before and after) from a start of 67,000 pending due times,
   * with a take every simulated second; each invocation replays it on a fresh index of each kind.
   */
  @State(Scope.Thread)
  public static class Deadlines {
    long[] start;
    String[] ids;
    long[] was;
    long[] now;
    DeadlineIndex index;
    DeadlineIndexBaseline baseline;

    @Setup
    public void setup() {
      Random random = new Random(7);
      long[] timeouts = {5_000, 10_000, 30_000, 60_000};
      long[] due = new long[SESSIONS];
      for (int i = 0; i < SESSIONS; i++) due[i] = T0 + random.nextInt(60_000);
      start = due.clone();
      ids = new String[MOVES];
      was = new long[MOVES];
      now = new long[MOVES];
      for (int m = 0; m < MOVES; m++) {
        int s = random.nextInt(SESSIONS);
        ids[m] = "s" + s;
        was[m] = due[s];
        long t = T0 + m / 10; // 10 records per ms of record time
        due[s] =
            random.nextInt(10) == 0 ? Session.NONE : t + timeouts[random.nextInt(timeouts.length)];
        now[m] = due[s];
      }
    }

    @Setup(Level.Invocation)
    public void fill() {
      index = new DeadlineIndex();
      baseline = new DeadlineIndexBaseline();
      for (int i = 0; i < SESSIONS; i++) {
        index.move("s" + i, Session.NONE, start[i], 0);
        baseline.move("s" + i, Session.NONE, start[i]);
      }
    }
  }

  /** One task's index moves (session before and after each change), replayed on a fresh index. */
  @State(Scope.Thread)
  public static class ListIndex {
    Session[] before;
    Session[] after;
    ConcurrentSkipListMap<Bytes, byte[]> baseline;
    SkipListStore store;

    @Setup
    public void setup() throws Exception {
      Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
      Map<String, Session> open = new HashMap<>();
      List<Session> was = new ArrayList<>();
      List<Session> now = new ArrayList<>();
      for (Workload.Rec r : Workload.mix("s", 600_000, 10_000, 10, T0, 42)) {
        if ((r.key().hashCode() & 0x7fffffff) % 6 != 0) continue;
        Result res = engine.onEvent(open.get(r.key()), r.event());
        if (res.changed()) {
          Session snapshot = SessionCodec.decode(SessionCodec.encode(res.session()));
          was.add(open.get(r.key()));
          now.add(snapshot);
          open.put(r.key(), snapshot);
        }
      }
      before = was.toArray(Session[]::new);
      after = now.toArray(Session[]::new);
      System.out.printf(
          "index: %d moves of one task, %d sessions listed at the end%n",
          before.length, open.size());
    }

    @Setup(Level.Invocation)
    public void fill() {
      baseline = new ConcurrentSkipListMap<>();
      store = new SkipListStore("index");
    }

    /** The hot path decision 25 shipped: keys built, serialized (string serde), remove, put. */
    void moveBaseline(Session b, Session a) {
      String oldKey = b == null ? null : SessionIndex.key(b);
      String newKey = SessionIndex.key(a);
      if (oldKey != null && !oldKey.equals(newKey)) {
        baseline.remove(Bytes.wrap(oldKey.getBytes(StandardCharsets.UTF_8)));
      }
      if (!newKey.equals(oldKey)) {
        baseline.put(Bytes.wrap(newKey.getBytes(StandardCharsets.UTF_8)), EMPTY);
      }
    }
  }

  private static final byte[] EMPTY = new byte[0];

  @Benchmark
  public void indexBefore(ListIndex x) {
    for (int m = 0; m < x.before.length; m++) x.moveBaseline(x.before[m], x.after[m]);
  }

  @Benchmark
  public void indexAfter(ListIndex x) {
    for (int m = 0; m < x.before.length; m++) x.store.move(x.before[m], x.after[m]);
  }

  @Benchmark
  @OperationsPerInvocation(CODED)
  public void encodeBefore(Codec c, Blackhole bh) {
    for (Session s : c.sessions) bh.consume(SessionCodecBaseline.encode(s));
  }

  @Benchmark
  @OperationsPerInvocation(CODED)
  public void encodeAfter(Codec c, Blackhole bh) {
    for (Session s : c.sessions) bh.consume(SessionCodec.encode(s));
  }

  @Benchmark
  @OperationsPerInvocation(CODED)
  public void decode(Codec c, Blackhole bh) {
    for (byte[] b : c.stored) bh.consume(SessionCodec.decode(b));
  }

  /** What a task's index rebuild reads of each stored session (decision 29), against decode. */
  @Benchmark
  @OperationsPerInvocation(CODED)
  public void decodeForIndex(Codec c, Blackhole bh) {
    for (byte[] b : c.stored) bh.consume(SessionCodec.decodeForIndex(b));
  }

  /** One move per record; every 10,000 moves (one second of record time), a punctuation's take. */
  @Benchmark
  @OperationsPerInvocation(MOVES)
  public void moveBefore(Deadlines d, Blackhole bh) {
    for (int m = 0; m < MOVES; m++) {
      if (m % 10_000 == 0) bh.consume(d.baseline.takeDue(T0 + m / 10, 5_000));
      d.baseline.move(d.ids[m], d.was[m], d.now[m]);
    }
  }

  @Benchmark
  @OperationsPerInvocation(MOVES)
  public void moveAfter(Deadlines d, Blackhole bh) {
    for (int m = 0; m < MOVES; m++) {
      if (m % 10_000 == 0) bh.consume(d.index.takeDue(T0 + m / 10, 5_000));
      d.index.move(d.ids[m], d.was[m], d.now[m], m);
    }
  }

  /**
   * Prints the sizes of the coded sessions, then runs JMH; with {@code interleaved N}, instead runs
   * N rounds alternating before and after (which goes first alternates too), so that both see the
   * same load, and prints the median and best ns per operation of each and the median ratio.
   */
  public static void main(String[] args) throws Exception {
    Codec c = new Codec();
    c.setup();
    System.out.printf(
        "%d stored sessions of case 1's mix: %.0f bytes on average, largest %d%n",
        CODED,
        Arrays.stream(c.stored).mapToInt(b -> b.length).average().orElse(0),
        Arrays.stream(c.stored).mapToInt(b -> b.length).max().orElse(0));
    if (args.length > 0 && args[0].equals("interleaved")) {
      interleaved(c, Integer.parseInt(args.length > 1 ? args[1] : "30"));
      return;
    }
    org.openjdk.jmh.Main.main(args);
  }

  private static void interleaved(Codec c, int rounds) throws Exception {
    Blackhole bh =
        new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is"
                + " dangerous.");
    HotPathBenchmark b = new HotPathBenchmark();
    Deadlines d = new Deadlines();
    d.setup();
    compare(
        "SessionCodec.encode",
        rounds,
        CODED,
        () -> b.encodeBefore(c, bh),
        () -> b.encodeAfter(c, bh),
        () -> {});
    compare(
        "DeadlineIndex.move",
        rounds,
        MOVES,
        () -> b.moveBefore(d, bh),
        () -> b.moveAfter(d, bh),
        d::fill);
    ListIndex x = new ListIndex();
    x.setup();
    compare(
        "session list index move",
        rounds,
        x.before.length,
        () -> b.indexBefore(x),
        () -> b.indexAfter(x),
        x::fill);
  }

  private static void compare(
      String what, int rounds, int ops, Runnable before, Runnable after, Runnable reset) {
    for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
      reset.run();
      before.run();
      after.run();
    }
    double[] x = new double[rounds];
    double[] y = new double[rounds];
    double[] ratio = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      reset.run();
      if (r % 2 == 0) {
        x[r] = time(before, ops);
        y[r] = time(after, ops);
      } else {
        y[r] = time(after, ops);
        x[r] = time(before, ops);
      }
      ratio[r] = x[r] / y[r];
    }
    Arrays.sort(x);
    Arrays.sort(y);
    Arrays.sort(ratio);
    System.out.printf(
        "%s, %d interleaved rounds:%n"
            + "  before median %.1f ns/op, best %.1f, worst %.1f%n"
            + "  after  median %.1f ns/op, best %.1f, worst %.1f%n"
            + "  before / after per round: median %.2f, min %.2f, max %.2f%n",
        what,
        rounds,
        x[rounds / 2],
        x[0],
        x[rounds - 1],
        y[rounds / 2],
        y[0],
        y[rounds - 1],
        ratio[rounds / 2],
        ratio[0],
        ratio[rounds - 1]);
  }

  private static double time(Runnable r, int ops) {
    long start = System.nanoTime();
    r.run();
    return (System.nanoTime() - start) / (double) ops;
  }
}
