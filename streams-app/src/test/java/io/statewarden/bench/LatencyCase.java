package io.statewarden.bench;

import io.statewarden.topology.StatewardenApp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Case 5: latency from produce to transition visible to a read_committed consumer, at a steady
 * {@code bench.rate} events/s (set it to half the max throughput measured on the machine), for
 * {@code bench.seconds} after a 10 s warm-up.
 */
final class LatencyCase {
  private final Bench b;

  LatencyCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int rate = Bench.intProp("bench.rate", 10_000);
    int seconds = Bench.intProp("bench.seconds", 30);
    String input = "latency.input";
    b.createTopics(input);
    String appId = b.nextAppId("latency");
    StatewardenApp app = b.startStatewarden(appId, input, Map.of());
    Bench.SwTopics t = Bench.SwTopics.of(appId);
    List<List<String>> rows = new ArrayList<>();
    try {
      Bench.awaitRunning(app.streams(), Duration.ofSeconds(60));
      long from;
      long to;
      long sentBefore;
      long sentAfter;
      try (LiveTraffic live = new LiveTraffic(b, input, t.transitions(), "lat-", rate)) {
        Thread.sleep(10_000);
        from = System.currentTimeMillis();
        sentBefore = live.sent();
        Thread.sleep(seconds * 1000L);
        to = System.currentTimeMillis();
        sentAfter = live.sent();
        Thread.sleep(3_000); // the last ones become visible
        long[] lat = Bench.sorted(live.latencies("lat-", from, to));
        rows.add(
            List.of(
                Bench.f("%,d", rate),
                Bench.f("%,.0f", (sentAfter - sentBefore) / ((to - from) / 1e3)),
                Bench.f("%,d", lat.length),
                Bench.f("%d", Bench.percentile(lat, 50)),
                Bench.f("%d", Bench.percentile(lat, 99)),
                Bench.f("%d", Bench.percentile(lat, 99.9)),
                Bench.f("%d", lat.length == 0 ? -1 : lat[lat.length - 1])));
      }
    } finally {
      app.close();
    }
    Bench.table(
        "Latency, produce to transition visible (read_committed), ms",
        List.of("target rate/s", "sent/s", "transitions", "p50", "p99", "p99.9", "max"),
        rows);
  }
}
