package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Case 2: latency from produce to transition visible to a read_committed consumer, at a steady
 * {@code bench.rate} events/s (set it to half the max throughput measured on the machine), for
 * {@code bench.seconds} after a 20 s warm-up (JSON input first, then Avro at {@code bench.rate};
 * {@code bench.rate.json} sets the JSON rate; {@code bench.inputs=avro} runs one). With {@code
 * bench.settings="k=v,k=v;k=v"} each input runs once per set of settings, in one run.
 */
final class LatencyCase {
  private final Bench b;

  LatencyCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int avroRate = Bench.intProp("bench.rate", 10_000);
    int jsonRate = Bench.intProp("bench.rate.json", avroRate);
    int seconds = Bench.intProp("bench.seconds", 30);
    List<List<String>> rows = new ArrayList<>();
    Map<String, long[]> cdfs = new java.util.LinkedHashMap<>();
    List<String> inputs = List.of(Bench.prop("bench.inputs", "json,avro").split(","));
    // bench.settings="commit.interval.ms=100;commit.interval.ms=50": each input once per set of
    // settings, one after the other in one run (issue 16)
    String sets = Bench.prop("bench.settings", "");
    List<String> variants = sets.isBlank() ? List.of("") : List.of(sets.split(";"));
    for (String in : inputs) {
      for (String variant : variants) {
        boolean avro = in.trim().equals("avro");
        int rate = avro ? avroRate : jsonRate;
        String appId = b.nextAppId("latency");
        String input = appId + ".json"; // its own: the other run's sessions have the same ids
        b.createTopics(input);
        Map<String, Object> settings =
            new java.util.HashMap<String, Object>(Bench.kvs(variant.trim()));
        String label = (avro ? "Avro" : "JSON") + (variant.isBlank() ? "" : ", " + variant.trim());
        StatewardenApp app = b.startStatewarden(appId, input, settings);
        Bench.SwTopics t = Bench.SwTopics.of(appId);
        try {
          Bench.awaitRunning(app.streams(), Duration.ofSeconds(60));
          String to = avro ? t.events() : input;
          try (LiveTraffic live = new LiveTraffic(b, to, t.transitions(), "lat-", rate, avro)) {
            Thread.sleep(20_000); // warm-up
            long from = System.currentTimeMillis();
            long sentBefore = live.sent();
            Thread.sleep(seconds * 1000L);
            long until = System.currentTimeMillis();
            long sentAfter = live.sent();
            Thread.sleep(5_000); // the last ones become visible
            long[] lat = Bench.sorted(live.latencies("lat-", from, until));
            cdfs.put(label + " at " + rate + "/s", lat);
            rows.add(
                List.of(
                    (avro ? "Avro (events topic)" : "JSON (copied to the events topic first)")
                        + (variant.isBlank() ? "" : ", " + variant.trim()),
                    Bench.f("%,d", rate),
                    Bench.f("%,.0f", (sentAfter - sentBefore) / ((until - from) / 1e3)),
                    Bench.f("%,d", lat.length),
                    Bench.f("%.2f", lat.length / (double) (sentAfter - sentBefore)),
                    Bench.f("%d", Bench.percentile(lat, 50)),
                    Bench.f("%d", Bench.percentile(lat, 99)),
                    Bench.f("%d", Bench.percentile(lat, 99.9)),
                    Bench.f("%d", lat.length == 0 ? -1 : lat[lat.length - 1])));
            System.out.println("  " + rows.get(rows.size() - 1));
            StringBuilder maxes = new StringBuilder("  stream thread maxima (latencies in ms):");
            app.streams()
                .metrics()
                .forEach(
                    (m, v) -> {
                      if (m.group().equals("stream-thread-metrics") && m.name().endsWith("-max")) {
                        maxes.append(' ').append(m.name()).append('=').append(v.metricValue());
                      }
                    });
            System.out.println(maxes); // a long pause shows in all of them: look at GC
          }
        } finally {
          app.close();
        }
      }
    }
    Charts.cdf("latency-cdf.png", "Case 2: produce to transition visible, CDF", cdfs);
    Bench.table(
        "Latency, produce to transition visible (read_committed), ms",
        List.of(
            "input",
            "target rate/s",
            "sent/s",
            "transitions",
            "transitions / events sent (1.00: all visible)",
            "p50",
            "p99",
            "p99.9",
            "max"),
        rows);
  }
}
