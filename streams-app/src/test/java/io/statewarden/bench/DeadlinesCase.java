package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Case 3: N sessions each holding a pending deadline (due in ~30 min), in one real instance on the
 * broker. Per N: the idle punctuation cost per task (Kafka Streams' own task-level
 * punctuate-latency, DEBUG recording, over the last 10 s with nothing due), heap after GC and RSS
 * of the whole JVM (broker included), and events/s of the mix while the sessions sit there.
 */
final class DeadlinesCase {
  private final Bench b;

  DeadlinesCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    String sizes = Bench.prop("bench.sizes", "10000,100000,1000000");
    int mixEvents = Bench.intProp("bench.events", 100_000);
    String input = "hold.input";
    b.createTopics(input);
    String appId = b.nextAppId("hold");
    StatewardenApp app =
        b.startStatewarden(
            appId,
            input,
            Map.of(
                "metrics.recording.level", "DEBUG",
                "metrics.sample.window.ms", 5000,
                "metrics.num.samples", 2));
    String events = Bench.SwTopics.of(appId).events(); // JSON input is copied there first
    List<List<String>> rows = new ArrayList<>();
    Double firstRate = null;
    try {
      Bench.awaitRunning(app.streams(), Duration.ofSeconds(60));
      long later = System.currentTimeMillis() + 30 * 60_000L; // deadlines ~30 min ahead
      Workload.Script listener = Workload.SCRIPTS.get(0);
      long held = 0;
      int round = 0;
      for (String s : sizes.split(",")) {
        int n = Integer.parseInt(s.trim().replace("_", ""));
        // one start event per new session: it waits in its first state, deadline pending
        List<Workload.Rec> recs = new ArrayList<>();
        for (long i = held; i < n; i++) {
          String id = "hold-" + i;
          recs.add(
              new Workload.Rec(
                  id, later, Workload.json(id, id + "-0", listener, "InboundContact"), null));
        }
        long t0 = System.nanoTime();
        b.load(input, recs);
        long end = b.endOffsetSum(input);
        b.awaitCommitted(appId, input, end, Duration.ofMinutes(20));
        b.awaitCommitted(appId, events, b.endOffsetSum(events), Duration.ofMinutes(20));
        double loadSecs = (System.nanoTime() - t0) / 1e9;
        long loaded = recs.size();
        recs = null; // NOPMD
        held = n;
        // mix events while they sit there (their own deadlines are ~30 min ahead as well)
        List<Workload.Rec> mix =
            Workload.mix("m" + (round++) + "-", mixEvents, 10_000, 10, later, 7);
        long t1 = System.nanoTime(); // processing starts while they are produced
        b.load(input, mix);
        long mixEnd = b.endOffsetSum(input);
        b.awaitCommitted(appId, input, mixEnd, Duration.ofMinutes(10));
        b.awaitCommitted(appId, events, b.endOffsetSum(events), Duration.ofMinutes(10));
        double rate = mixEvents / ((System.nanoTime() - t1) / 1e9);
        if (firstRate == null) firstRate = rate;
        // idle: nothing due; the metric windows (2 x 5 s) then hold only idle punctuations
        Thread.sleep(11_000);
        double sumAvg = 0;
        double max = 0;
        double count = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : app.streams().metrics().entrySet()) {
          MetricName m = e.getKey();
          if (!m.group().equals("stream-task-metrics")) continue;
          Object v = e.getValue().metricValue();
          if (!(v instanceof Double d) || d.isNaN()) continue;
          if (m.name().equals("punctuate-latency-avg")) {
            sumAvg += d;
            count++;
          } else if (m.name().equals("punctuate-latency-max")) {
            max = Math.max(max, d);
          }
        }
        long heap = Bench.heapAfterGcMiB();
        rows.add(
            List.of(
                Bench.f("%,d", n),
                Bench.f("%,.0f", loaded / loadSecs),
                Bench.f("%.3f", count == 0 ? -1 : sumAvg / count / 1e6),
                Bench.f("%.3f", max / 1e6),
                Bench.f("%.2f", sumAvg / 1e6),
                Bench.f("%,.0f", rate),
                Bench.f("%.2f", rate / firstRate),
                Bench.f("%d", heap),
                Bench.f("%d", Bench.rssMiB())));
        System.out.println("  " + rows.get(rows.size() - 1));
      }
    } finally {
      app.close();
    }
    Bench.table(
        "Pending deadlines at scale (one instance, 1 thread, 6 tasks, state in RocksDB)",
        List.of(
            "sessions with a pending deadline",
            "loaded at (sessions/s)",
            "idle punctuation per task, avg ms",
            "per task, max ms",
            "round of 6 tasks (sum of avgs) ms",
            "mix events/s while held",
            "/ events/s at the first size",
            "heap after GC MiB (JVM with broker)",
            "RSS MiB"),
        rows);
  }
}
