package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.topology.TopologyFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Case 4: a timer storm. {@code bench.storm} sessions (default 200,000) wait in a state whose
 * 5-second timeout makes all their deadlines fall within one second of wall-clock time, while live
 * events keep arriving at {@code bench.rate} per second. Lateness and latency are as a
 * read_committed consumer sees them (fire or event, plus commit, plus poll). A variant named
 * {@value #FLOOR} runs the same storm through the storm floor ({@link Bench#stormFloor}) instead,
 * writing the value sizes of the last statewarden storm before it.
 */
final class StormCase {
  private final Bench b;

  /** Per storm (its label): timeouts seen per second, and live events' p99 per second. */
  private final Map<String, List<double[]>> firesPerSecond = new java.util.LinkedHashMap<>();

  private final Map<String, List<double[]>> eventP99 = new java.util.LinkedHashMap<>();

  /** How long after entry the storm's state (taleus-listener's L_PROCESS_CONTACT) times out. */
  static final long TIMEOUT_MS = 5_000;

  /** statewarden's defaults: the floor fires with its punctuation interval and bound. */
  private static final Map<String, Object> DEFAULTS = StatewardenConfig.DEF.defaultValues();

  /** The variant that runs the storm floor ({@link Bench#stormFloor}) instead of statewarden. */
  static final String FLOOR = "floor";

  /**
   * What the floor writes: the average value sizes of the last statewarden storm (its stored
   * sessions, transitions, audit records, backouts); until one ran, those of a storm of the shipped
   * defaults (2026-11-27 16:20 UTC, docs/benchmarks.md).
   */
  private Bench.StormSizes floorSizes = new Bench.StormSizes(200, 121, 129, 126);

  StormCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int n = Bench.intProp("bench.storm", 200_000);
    int rate = Bench.intProp("bench.rate", 2_000);
    // settings compared in one run, one storm each, in this order: "k=v,k=v;k=v" ("" = shipped)
    String[] variants = System.getProperty("bench.storm.variants", "").split(";", -1);
    List<List<String>> rows = new ArrayList<>();
    for (int v = 0; v < variants.length; v++) {
      Map<String, Object> settings = new java.util.LinkedHashMap<>();
      for (String kv : variants[v].split(",")) {
        if (kv.contains("=")) {
          settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      boolean floor = FLOOR.equals(variants[v].trim());
      String label =
          floor
              ? "floor (per fire: store read and write, 3 outputs)"
              : settings.isEmpty() ? "shipped defaults" : variants[v];
      System.out.printf("  storm %d of %d: %s%n", v + 1, variants.length, label);
      List<String> row = new ArrayList<>();
      row.add(label);
      // the chart's series by storm, so a variant given twice keeps both
      row.addAll(
          storm(n, rate, "storm.input." + v, floor ? null : settings, label + " #" + (v + 1)));
      rows.add(row);
    }
    Charts.timeline(
        "storm-timeline.png",
        "Case 4: " + n + " deadlines due within 1 s, live events at " + rate + "/s",
        "timeouts fired/s (seen committed)",
        firesPerSecond,
        "live event latency p99, ms",
        eventP99);
    Bench.table(
        "Timer storm (live events at "
            + rate
            + "/s; times in ms as a read_committed consumer"
            + " sees them)",
        List.of(
            "settings",
            "deadlines due within 1 s",
            "timeouts seen",
            "storm lasted s",
            "timeouts fired/s",
            "lateness p50 / p99 / max",
            "event latency before p50 / p99",
            "event latency during p50 / p99",
            "after p50 / p99"),
        rows);
  }

  /**
   * With {@code settings} null, the storm floor ({@link Bench#stormFloor}, statewarden's default
   * punctuation interval and bound) instead of statewarden.
   */
  private List<String> storm(
      int n, int rate, String input, Map<String, Object> settings, String label) throws Exception {
    b.createTopics(input);
    String appId = b.nextAppId(settings == null ? "stormfloor" : "storm");
    Bench.SwTopics t = Bench.SwTopics.of(appId);
    AutoCloseable app;
    KafkaStreams streams;
    if (settings == null) {
      streams =
          b.startStormFloor(
              appId,
              input,
              t.transitions(),
              floorSizes,
              TIMEOUT_MS,
              (Long) DEFAULTS.get(StatewardenConfig.PUNCTUATION_INTERVAL_MS),
              (Integer) DEFAULTS.get(StatewardenConfig.PUNCTUATION_MAX_FIRES),
              Map.of());
      app = () -> streams.close(Duration.ofSeconds(30)); // as StatewardenApp.close
    } else {
      StatewardenApp sw = b.startStatewarden(appId, input, settings);
      streams = sw.streams();
      app = sw;
    }
    List<String> row;
    try {
      Bench.awaitRunning(streams, Duration.ofSeconds(60));
      long s0 = System.currentTimeMillis() + Bench.intProp("bench.storm.lead.s", 60) * 1000L;
      Workload.Script listener = Workload.SCRIPTS.get(0);
      List<Workload.Rec> recs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = "storm-" + i;
        long deadline = s0 + (long) i * 1000 / n; // all within [s0, s0 + 1 s)
        recs.add(
            new Workload.Rec(
                id,
                deadline - TIMEOUT_MS,
                Workload.json(id, id + "-0", listener, "InboundContact"),
                null));
      }
      long t0 = System.nanoTime();
      b.load(input, recs);
      b.awaitCommitted(appId, input, b.endOffsetSum(input), Duration.ofMinutes(10));
      if (settings != null) {
        b.awaitCommitted(appId, t.events(), b.endOffsetSum(t.events()), Duration.ofMinutes(10));
      }
      System.out.printf(
          "  %,d storm sessions loaded in %.1f s; storm at +%.1f s%n",
          n, (System.nanoTime() - t0) / 1e9, (s0 - System.currentTimeMillis()) / 1e3);
      if (System.currentTimeMillis() > s0 - 10_000) {
        throw new IllegalStateException("loading took too long; raise bench.storm.lead.s");
      }
      Thread.sleep(Math.max(0, s0 - 10_000 - System.currentTimeMillis()));
      LiveTraffic live = new LiveTraffic(b, input, t.transitions(), "live-", rate);
      long lastFire;
      List<Long> lateness = new ArrayList<>();
      try {
        long give = s0 + 120_000;
        while (true) {
          lateness.clear();
          lastFire = 0;
          for (LiveTraffic.Seen s : live.seen) {
            if (s.key().startsWith("storm-") && s.timestamp() >= s0) {
              lateness.add(s.seenAt() - s.timestamp());
              lastFire = Math.max(lastFire, s.seenAt());
            }
          }
          if (lateness.size() >= n || System.currentTimeMillis() > give) break;
          Thread.sleep(500);
        }
        Thread.sleep(5_000); // live traffic after the storm
      } finally {
        live.close();
      }
      timeline(label, live, s0, lastFire);
      long[] late = Bench.sorted(lateness);
      double stormSecs = (lastFire - s0) / 1e3;
      long[] before = Bench.sorted(live.latencies("live-", s0 - 8_000, s0));
      long[] during = Bench.sorted(live.latencies("live-", s0, lastFire));
      long[] after = Bench.sorted(live.latencies("live-", lastFire, Long.MAX_VALUE));
      row =
          List.of(
              Bench.f("%,d", n),
              Bench.f("%,d", lateness.size()),
              Bench.f("%.1f", stormSecs),
              Bench.f("%,.0f", lateness.size() / stormSecs),
              Bench.f(
                  "%d / %d / %d",
                  Bench.percentile(late, 50),
                  Bench.percentile(late, 99),
                  late.length == 0 ? -1 : late[late.length - 1]),
              Bench.f("%d / %d", Bench.percentile(before, 50), Bench.percentile(before, 99)),
              Bench.f(
                  "%d / %d (%,d events)",
                  Bench.percentile(during, 50), Bench.percentile(during, 99), during.length),
              Bench.f("%d / %d", Bench.percentile(after, 50), Bench.percentile(after, 99)));
      if (lateness.size() != n) {
        System.out.printf("  WARNING: %,d of %,d storm timeouts seen%n", lateness.size(), n);
      }
      if (settings != null) {
        floorSizes =
            new Bench.StormSizes(
                b.averageValueSize(appId + "-" + TopologyFactory.SESSIONS_STORE + "-changelog"),
                b.averageValueSize(t.transitions()),
                b.averageValueSize(t.audit()),
                b.averageValueSize(t.backouts()));
        System.out.printf("  the floor now writes %s%n", floorSizes);
      }
    } finally {
      app.close();
      Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    }
    return row;
  }

  /**
   * Seconds from 8 s before the storm to 5 s after its last fire, relative to its start: timeouts
   * seen committed in each second, and the p99 latency of the live events sent in it.
   */
  private void timeline(String label, LiveTraffic live, long s0, long lastFire) {
    int from = -8;
    int to = (int) ((lastFire - s0) / 1000) + 5;
    long[] fires = new long[to - from + 1];
    List<List<Long>> lat = new ArrayList<>();
    for (int i = 0; i < fires.length; i++) lat.add(new ArrayList<>());
    for (LiveTraffic.Seen s : live.seen) {
      if (s.key().startsWith("storm-")) {
        int sec = (int) Math.floorDiv(s.seenAt() - s0, 1000L);
        if (s.timestamp() >= s0 && sec >= from && sec <= to) fires[sec - from]++;
      } else if (s.key().startsWith("live-")) {
        int sec = (int) Math.floorDiv(s.timestamp() - s0, 1000L);
        if (sec >= from && sec <= to) lat.get(sec - from).add(s.seenAt() - s.timestamp());
      }
    }
    List<double[]> f = new ArrayList<>();
    List<double[]> p = new ArrayList<>();
    for (int i = 0; i < fires.length; i++) {
      f.add(new double[] {from + i, fires[i]});
      if (!lat.get(i).isEmpty()) {
        p.add(new double[] {from + i, Bench.percentile(Bench.sorted(lat.get(i)), 99)});
      }
    }
    firesPerSecond.put("fired/s, " + label, f);
    eventP99.put("event p99, " + label, p);
  }
}
