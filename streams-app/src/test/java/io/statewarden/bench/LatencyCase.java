package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import io.statewarden.topology.TopologyFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Case 2: latency from produce to transition visible to a read_committed consumer, at a steady
 * {@code bench.rate} events/s (set it to half the max throughput measured on the machine), for
 * {@code bench.seconds} after a 20 s warm-up (JSON input first, then Avro at {@code bench.rate};
 * {@code bench.rate.json} sets the JSON rate; {@code bench.inputs=avro} runs one). With {@code
 * bench.settings="k=v,k=v;k=v"} each input runs once per set of settings, in one run. The input
 * {@code floor} ({@code bench.inputs=avro,floor}) runs the minimal stateful topology instead, on
 * Avro events at {@code bench.rate}, writing the value sizes of the Avro run before it: what the
 * contract's store and output work alone costs in latency at that rate and those settings.
 */
final class LatencyCase {
  private final Bench b;

  /**
   * What the floor writes: the value sizes of the last Avro statewarden run (stored session,
   * transition, audit record), or, before one ran, those of case 2's Avro run of 2026-11-27.
   */
  private Bench.Sizes sizes = new Bench.Sizes(258, 135, 138);

  LatencyCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int avroRate = Bench.intProp("bench.rate", 10_000);
    int jsonRate = Bench.intProp("bench.rate.json", avroRate);
    int seconds = Bench.intProp("bench.seconds", 30);
    List<List<String>> rows = new ArrayList<>();
    Map<String, long[]> cdfs = new java.util.LinkedHashMap<>();
    List<String> inputs =
        Stream.of(Bench.prop("bench.inputs", "json,avro").split(",")).map(String::trim).toList();
    for (String in : inputs) {
      if (!List.of("json", "avro", "floor").contains(in)) {
        throw new IllegalArgumentException("bench.inputs: json, avro or floor, not " + in);
      }
    }
    // bench.settings="commit.interval.ms=100;commit.interval.ms=50": each input once per set of
    // settings, one after the other in one run (issue 16)
    String sets = Bench.prop("bench.settings", "");
    List<String> variants = sets.isBlank() ? List.of("") : List.of(sets.split(";"));
    for (String in : inputs) {
      for (String variant : variants) {
        String kind = in;
        boolean avro = !kind.equals("json");
        int rate = avro ? avroRate : jsonRate;
        Map<String, Object> settings =
            new java.util.HashMap<String, Object>(Bench.kvs(variant.trim()));
        String label =
            switch (kind) {
                  case "avro" -> "Avro (events topic)";
                  case "json" -> "JSON (copied to the events topic first)";
                  case "floor" ->
                      Bench.f(
                          "minimal stateful, Avro bytes (%d / %d / %d B)",
                          sizes.stored(), sizes.out1(), sizes.out2());
                  default -> throw new IllegalStateException(kind);
                }
                + (variant.isBlank() ? "" : ", " + variant.trim());
        String appId = b.nextAppId(kind.equals("floor") ? "latfloor" : "latency");
        if (kind.equals("floor")) {
          // the least the contract costs, at the same rate and settings (issue 16): a store read
          // and write and two outputs per event, sized as `sizes` says
          String input = appId + ".in";
          b.createTopics(input);
          KafkaStreams ks = b.startMinimalStateful(appId, input, appId + ".out", sizes, settings);
          try {
            Bench.awaitRunning(ks, Duration.ofSeconds(60));
            rows.add(measure(label, rate, seconds, input, appId + ".out", true, ks, cdfs));
          } finally {
            ks.close(Duration.ofSeconds(30));
            Bench.deleteTree(b.dir.resolve("state").resolve(appId));
          }
          continue;
        }
        String input = appId + ".json"; // its own: the other run's sessions have the same ids
        b.createTopics(input);
        StatewardenApp app = b.startStatewarden(appId, input, settings);
        Bench.SwTopics t = Bench.SwTopics.of(appId);
        try {
          Bench.awaitRunning(app.streams(), Duration.ofSeconds(60));
          String to = avro ? t.events() : input;
          rows.add(measure(label, rate, seconds, to, t.transitions(), avro, app.streams(), cdfs));
          if (avro) {
            sizes =
                new Bench.Sizes(
                    b.averageValueSize(appId + "-" + TopologyFactory.SESSIONS_STORE + "-changelog"),
                    b.averageValueSize(t.transitions()),
                    b.averageValueSize(t.audit()));
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

  /**
   * Live events into {@code to} at {@code rate}, 20 s warm-up, {@code seconds} measured: the
   * table's row, the CDF under {@code label}, the stream thread's maxima printed.
   */
  private List<String> measure(
      String label,
      int rate,
      int seconds,
      String to,
      String transitions,
      boolean avro,
      KafkaStreams streams,
      Map<String, long[]> cdfs)
      throws Exception {
    try (LiveTraffic live = new LiveTraffic(b, to, transitions, "lat-", rate, avro)) {
      Thread.sleep(20_000); // warm-up
      long from = System.currentTimeMillis();
      long sentBefore = live.sent();
      Thread.sleep(seconds * 1000L);
      long until = System.currentTimeMillis();
      long sentAfter = live.sent();
      Thread.sleep(5_000); // the last ones become visible
      long[] lat = Bench.sorted(live.latencies("lat-", from, until));
      // one series per run: an input given twice keeps both
      cdfs.put(label + " at " + rate + "/s #" + (cdfs.size() + 1), lat);
      List<String> row =
          List.of(
              label,
              Bench.f("%,d", rate),
              Bench.f("%,.0f", (sentAfter - sentBefore) / ((until - from) / 1e3)),
              Bench.f("%,d", lat.length),
              Bench.f("%.2f", lat.length / (double) (sentAfter - sentBefore)),
              Bench.f("%d", Bench.percentile(lat, 50)),
              Bench.f("%d", Bench.percentile(lat, 99)),
              Bench.f("%d", Bench.percentile(lat, 99.9)),
              Bench.f("%d", lat.length == 0 ? -1 : lat[lat.length - 1]));
      System.out.println("  " + row);
      StringBuilder maxes = new StringBuilder("  stream thread maxima (latencies in ms):");
      streams
          .metrics()
          .forEach(
              (m, v) -> {
                if (m.group().equals("stream-thread-metrics") && m.name().endsWith("-max")) {
                  maxes.append(' ').append(m.name()).append('=').append(v.metricValue());
                }
              });
      System.out.println(maxes); // a long pause shows in all of them: look at GC
      return row;
    }
  }
}
