package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import io.statewarden.topology.TopologyFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Case 1: catch-up throughput of one instance (one stream thread, 6 partitions) over a pre-loaded
 * input of the protocol mix, against a pass-through topology on the same input in the same run.
 */
final class ThroughputCase {
  private final Bench b;

  ThroughputCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int events = Bench.intProp("bench.events", 600_000);
    int reps = Bench.intProp("bench.reps", 3);
    String variants = Bench.prop("bench.variants", "json,alos,commit1000,cache0");
    boolean avroInput = !Bench.prop("bench.input", "avro").equals("json");
    long base = System.currentTimeMillis() - 3 * 3600_000L;
    recs = Workload.mix("s", events, 10_000, 10, base, 42);
    b.createTopics(Bench.INPUT, Bench.INPUT_AVRO);
    double loadRate = b.load(Bench.INPUT, recs);
    b.loadAvro(Bench.INPUT_AVRO, recs);
    long inputCount = b.endOffsetSum(Bench.INPUT);
    Workload.Expected want = Workload.expect(b.engine, recs, System.currentTimeMillis());
    long bytes = recs.stream().mapToLong(r -> r.json().length).sum();
    System.out.printf(
        "input: %,d records (%d B avg as JSON) over %d partitions, %,d sessions, loaded at %,.0f/s;"
            + " expected %,d transitions, %,d audits, %,d backouts, %,d deadline fires%n",
        inputCount,
        bytes / inputCount,
        Bench.PARTITIONS,
        want.seqBySession().size(),
        loadRate,
        want.transitions(),
        want.audits(),
        want.backouts(),
        want.fires());

    avro = avroInput;
    for (int i = Bench.intProp("bench.warmup", 1); i > 0; i--) {
      System.out.println("warm-up (JIT), not reported:");
      passThrough("warm-up pass-through", Map.of(), inputCount);
      statewarden("warm-up statewarden", Map.of(), inputCount, null);
      minimal("warm-up minimal stateful", Map.of(), inputCount);
      checks.clear();
    }
    String input = avroInput ? "Avro" : "JSON";
    List<List<String>> rows = new ArrayList<>();
    List<Double> pt = new ArrayList<>();
    List<Double> sw = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    List<Double> ofMinimal = new ArrayList<>();
    // alternate (the default): pass-through, statewarden, floor, then again; grouped: every
    // pass-through run, then every statewarden run, then every floor run, so that the JIT's
    // profiles of Kafka's shared code settle on one topology before its later runs are timed
    boolean grouped = Bench.prop("bench.order", "alternate").equals("grouped");
    List<Bench.Run> ps = new ArrayList<>();
    List<Bench.Run> ss = new ArrayList<>();
    List<Bench.Run> ms = new ArrayList<>();
    for (int i = 0; i < reps; i++) {
      ps.add(passThrough("pass-through EOS, " + input, Map.of(), inputCount));
      if (!grouped) {
        ss.add(statewarden("statewarden EOS, " + input, Map.of(), inputCount, want));
        ms.add(minimal("minimal stateful EOS, " + input, Map.of(), inputCount));
      }
    }
    for (int i = 0; grouped && i < reps; i++) {
      ss.add(statewarden("statewarden EOS, " + input, Map.of(), inputCount, want));
    }
    for (int i = 0; grouped && i < reps; i++) {
      ms.add(minimal("minimal stateful EOS, " + input, Map.of(), inputCount));
    }
    for (int i = 0; i < reps; i++) {
      Bench.Run p = ps.get(i);
      Bench.Run s = ss.get(i);
      Bench.Run m = ms.get(i);
      pt.add(p.perSecond());
      sw.add(s.perSecond());
      ratios.add(s.perSecond() / p.perSecond());
      ofMinimal.add(s.perSecond() / m.perSecond());
    }
    // the rows in the order run: each takes the next check
    List<Bench.Run> order = new ArrayList<>();
    for (int i = 0; i < reps; i++) {
      order.add(ps.get(i));
      if (!grouped) {
        order.add(ss.get(i));
        order.add(ms.get(i));
      }
    }
    if (grouped) {
      order.addAll(ss);
      order.addAll(ms);
    }
    for (int i = 0; i < order.size(); i++) {
      rows.add(row(order.get(i), ps.get(grouped ? i % reps : i / 3).perSecond()));
    }
    double ptMedian = Bench.median(pt);
    for (String v : variants.split(",")) {
      if (v.isBlank() || v.equals("none")) continue;
      Map<String, Object> o = new HashMap<>();
      avro = avroInput;
      switch (v.trim()) {
        case "alos" ->
            o.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        case "cache0" -> o.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        case "cache64m" -> o.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L << 20);
        case "avro" -> avro = true; // the same records as Avro ProtocolEvents, via the registry
        case "json" -> avro = false; // the same records on the JSON topic
        case "dpdefault" ->
            o.put(
                "apicurio.registry.avro-datum-provider",
                "io.apicurio.registry.serde.avro.DefaultAvroDatumProvider");
        case "idle0" -> o.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, 0L);
        case "noaudit" -> o.put("statewarden.audit.accepted", false); // issue 16
        default -> {
          if (v.trim().matches("commit[0-9]+")) {
            // commit30, commit50, commit1000: commit.interval.ms
            o.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Integer.parseInt(v.trim().substring(6)));
          } else if (v.trim().matches("threads[0-9]+")) {
            // threads1, threads4, ...: the stream-thread scaling curve (with bench.partitions=12)
            o.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(v.trim().substring(7)));
          } else {
            throw new IllegalArgumentException("unknown variant " + v);
          }
        }
      }
      Bench.Run p = passThrough("pass-through " + v, o, inputCount);
      Bench.Run s =
          statewarden(
              "statewarden " + v,
              o,
              inputCount,
              v.trim().equals("noaudit") ? want.withoutRepeatingAudits() : want);
      rows.add(row(p, ptMedian));
      rows.add(row(s, ptMedian));
      rows.add(
          List.of(
              "statewarden / pass-through, both " + v,
              "",
              "",
              Bench.f("%.2f", s.perSecond() / p.perSecond()),
              ""));
    }
    Bench.table(
        "Throughput: "
            + inputCount
            + " records, catch-up, 1 thread, "
            + Bench.PARTITIONS
            + " partitions",
        List.of(
            "run",
            "records/s",
            "stream-thread CPU us/record",
            "JVM CPU us/record",
            "broker CPU us/record",
            "/ pass-through EOS",
            "check"),
        rows);
    Map<String, Double> medians = new java.util.LinkedHashMap<>();
    byName.forEach((name, v) -> medians.put(name, Bench.median(v)));
    Charts.bars(
        "throughput-" + input.toLowerCase(java.util.Locale.ROOT) + ".png",
        "Case 1: catch-up throughput, " + input + " input (median of the runs)",
        "records/s",
        medians);
    System.out.printf(
        "%nHEADLINE (%s input) statewarden / pass-through, EOS: median of %d %s %.2f"
            + " (statewarden %,.0f/s, pass-through %,.0f/s); statewarden / minimal stateful %.2f%n",
        input,
        reps,
        grouped ? "runs paired by their place in each group" : "paired runs",
        Bench.median(ratios),
        Bench.median(sw),
        ptMedian,
        Bench.median(ofMinimal));
  }

  private final List<String> checks = new ArrayList<>();
  private boolean avro;

  /**
   * What the minimal stateful topology writes: the value sizes of the last statewarden run (its
   * stored session, its transitions, its audit and backout records, per input record), so the floor
   * does the same broker and store work; the input's sizes until one ran.
   */
  private Bench.Sizes sizes = Bench.Sizes.INPUT;

  private List<Workload.Rec> recs;

  /** Every run's records/s by its name, in the order run: the plot draws the medians. */
  private final Map<String, List<Double>> byName = new java.util.LinkedHashMap<>();

  private List<String> row(Bench.Run r, double ref) {
    byName.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(r.perSecond());
    return List.of(
        r.name(),
        Bench.f("%,.0f", r.perSecond()),
        Bench.f("%.1f", r.cpuUsPerRecord()),
        Bench.f("%.1f", r.jvmCpuUsPerRecord()),
        Double.isNaN(r.brokerCpuUsPerRecord())
            ? "in this JVM"
            : Bench.f("%.1f", r.brokerCpuUsPerRecord()),
        Bench.f("%.2f", r.perSecond() / ref),
        checks.isEmpty() ? "" : checks.remove(0));
  }

  private Bench.Run passThrough(String name, Map<String, Object> o, long n) throws Exception {
    return reference(name, "pt", o, n, false);
  }

  private Bench.Run minimal(String name, Map<String, Object> o, long n) throws Exception {
    return reference(name, "min", o, n, true);
  }

  /** The pass-through (one output per input) or the minimal stateful topology (two). */
  private Bench.Run reference(
      String name, String kind, Map<String, Object> o, long n, boolean stateful) throws Exception {
    String appId = b.nextAppId(kind);
    String out = appId + ".out";
    String in = avro ? Bench.INPUT_AVRO : Bench.INPUT;
    KafkaStreams ks =
        stateful
            ? b.startMinimalStateful(appId, in, out, sizes, o)
            : b.startPassThrough(appId, in, out, o);
    Bench.Run r;
    try {
      r = b.timeCatchUp(name, ks, appId, in, n);
    } finally {
      ks.close(Duration.ofSeconds(30));
    }
    long want = stateful ? 2 * n : n;
    long[] c = new long[1];
    b.consume(
        stateful ? List.of(out, out + "2") : List.of(out),
        (t, rec) -> c[0]++,
        () -> c[0] >= want,
        Duration.ofSeconds(5));
    if (c[0] != want) throw new IllegalStateException(name + ": " + c[0] + " outputs != " + want);
    checks.add(
        Bench.f("exact: %,d outputs", c[0])
            + (stateful && sizes != Bench.Sizes.INPUT
                ? Bench.f(
                    "; sized as statewarden's: stored %d B, outputs %d + %d B per record",
                    sizes.stored(), sizes.out1(), sizes.out2())
                : ""));
    Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    System.out.printf("  %-28s %,9.0f records/s%n", name, r.perSecond());
    return r;
  }

  /**
   * With Avro input, statewarden's events topic is the input and receives its timer records, so
   * each run gets a fresh copy of the input.
   */
  private Bench.Run statewarden(String name, Map<String, Object> o, long n, Workload.Expected want)
      throws Exception {
    String appId = b.nextAppId("sw");
    String in = avro ? appId + ".events" : Bench.INPUT;
    if (avro) {
      b.createTopics(in);
      b.loadAvro(in, recs);
    }
    StatewardenApp app =
        avro
            ? b.startStatewarden(appId, appId + ".json", in, o)
            : b.startStatewarden(appId, Bench.INPUT, o);
    Bench.Run r;
    String check;
    try {
      r = b.timeCatchUp(name, app.streams(), appId, in, n, avro ? null : appId + ".events");
      long t0 = System.nanoTime();
      Bench.Counts got = b.countOutputs(appId, want, Duration.ofSeconds(want == null ? 5 : 20));
      sizes =
          new Bench.Sizes(
              b.averageValueSize(appId + "-" + TopologyFactory.SESSIONS_STORE + "-changelog"),
              (int) (got.transitionBytes() / r.records()),
              (int) (got.auditAndBackoutBytes() / r.records()));
      if (want == null) {
        return r; // warm-up
      }
      check = Bench.verify(got, want);
      check += Bench.f("; deadlines drained %.1f s after catch-up", (System.nanoTime() - t0) / 1e9);
    } finally {
      app.close();
      Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    }
    checks.add(check);
    Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    System.out.printf("  %-28s %,9.0f records/s  %s%n", name, r.perSecond(), check);
    return r;
  }
}
