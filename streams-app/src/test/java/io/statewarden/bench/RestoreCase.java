package io.statewarden.bench;

import io.statewarden.topology.StatewardenApp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Case 5: restore and failover. First, {@code bench.sessions} sessions (one {@code InboundContact}
 * each, deadlines ~30 min ahead so nothing fires) are processed by one instance, which is stopped;
 * its state directory is deleted and, once its old member has left the group, it is started again:
 * start to {@code RUNNING} (group join, changelog restore and the rebuild of the deadline index
 * included). Then, on the same state, two instances run as separate JVMs, with 0 and then 1 standby
 * replica; with probe sessions created on every partition every 100 ms, one instance is killed with
 * SIGKILL, and for each partition the time from the kill until a probe sent after it is visible as
 * a transition (read_committed).
 */
final class RestoreCase {
  private static final int SESSION_TIMEOUT_MS = 10_000;
  private final Bench b;

  RestoreCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int sessions = Bench.intProp("bench.sessions", 1_000_000);
    String input = "restore.input";
    b.createTopics(input);
    String appId = b.nextAppId("restore");
    long later = System.currentTimeMillis() + 30 * 60_000L;
    Workload.Script listener = Workload.SCRIPTS.get(0);
    List<Workload.Rec> recs = new ArrayList<>(sessions);
    for (int i = 0; i < sessions; i++) {
      String id = "r-" + i;
      recs.add(
          new Workload.Rec(
              id, later, Workload.json(id, id + "-0", listener, "InboundContact"), null));
    }
    StatewardenApp app = b.startStatewarden(appId, input, Map.of());
    long t0 = System.nanoTime();
    try {
      b.load(input, recs);
      b.awaitCommitted(appId, input, sessions, Duration.ofMinutes(30));
      String events = Bench.SwTopics.of(appId).events(); // JSON input is copied there first
      b.awaitCommitted(appId, events, b.endOffsetSum(events), Duration.ofMinutes(30));
    } finally {
      app.close();
    }
    b.awaitGroupEmpty(appId, Duration.ofMinutes(2));
    System.out.printf(
        "  %,d sessions created in %.1f s%n", sessions, (System.nanoTime() - t0) / 1e9);
    recs = null; // NOPMD
    long changelog = b.endOffsetSum(appId + "-sessions-changelog");
    Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    t0 = System.nanoTime();
    StatewardenApp again = b.startStatewarden(appId, input, Map.of());
    double secs;
    try {
      Bench.awaitRunning(again.streams(), Duration.ofMinutes(30));
      secs = (System.nanoTime() - t0) / 1e9;
    } finally {
      again.close();
    }
    b.awaitGroupEmpty(appId, Duration.ofMinutes(2));
    Bench.table(
        "Restore onto a wiped instance (EOS, 1 thread, 6 tasks)",
        List.of(
            "sessions",
            "changelog records (with transaction markers)",
            "start to RUNNING s",
            "sessions/s"),
        List.of(
            List.of(
                Bench.f("%,d", sessions),
                Bench.f("%,d", changelog),
                Bench.f("%.1f", secs),
                Bench.f("%,.0f", sessions / secs))));

    List<List<String>> rows = new ArrayList<>();
    for (int standbys : new int[] {0, 1}) {
      rows.add(killOne(appId, input, standbys, secs));
    }
    Bench.table(
        "SIGKILL of one of two instances ("
            + Bench.f("%,d", sessions)
            + " sessions, session.timeout.ms="
            + SESSION_TIMEOUT_MS
            + ")",
        List.of(
            "standby replicas",
            "kill to first processed record, slowest partition s",
            "fastest partition s",
            "partitions that waited > 2 s"),
        rows);
  }

  private List<String> killOne(String appId, String input, int standbys, double restoreSecs)
      throws Exception {
    Map<String, Object> o = new HashMap<>();
    o.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbys);
    o.put("session.timeout.ms", SESSION_TIMEOUT_MS);
    int portA = io.statewarden.local.Ports.freeLoopbackPort();
    int portB = io.statewarden.local.Ports.freeLoopbackPort();
    Process a = b.startStatewardenProcess(appId, input, o, "a" + standbys, portA);
    Process c = b.startStatewardenProcess(appId, input, o, "b" + standbys, portB);
    String transitions = Bench.SwTopics.of(appId).transitions();
    try {
      awaitReady(portA, a);
      awaitReady(portB, c);
      // standbys restore in the background after RUNNING: give them twice a full restore
      Thread.sleep((long) (Math.max(10, 2 * restoreSecs) * 1000));

      List<List<String>> keys = probeKeys("probe-" + standbys + "-", 5_000);
      Map<String, Long> sent = new ConcurrentHashMap<>();
      Map<String, Long> seen = new ConcurrentHashMap<>();
      long[] killedAt = {Long.MAX_VALUE};
      try (KafkaProducer<String, byte[]> prod = b.producer();
          KafkaConsumer<String, byte[]> cons = b.committedConsumer(transitions)) {
        cons.seekToEnd(cons.assignment());
        Workload.Script listener = Workload.SCRIPTS.get(0);
        long start = System.currentTimeMillis();
        int tick = 0;
        while (true) {
          long now = System.currentTimeMillis();
          if (killedAt[0] == Long.MAX_VALUE && now - start > 5_000) {
            a.destroyForcibly(); // SIGKILL
            killedAt[0] = System.currentTimeMillis();
            System.out.printf("  standbys=%d: instance a killed%n", standbys);
          }
          for (int p = 0; p < Bench.PARTITIONS; p++) {
            String id = keys.get(p).get(tick);
            sent.put(id, System.currentTimeMillis());
            prod.send(
                new ProducerRecord<>(
                    input,
                    p,
                    System.currentTimeMillis(),
                    id,
                    Workload.json(id, id + "-0", listener, "InboundContact")));
          }
          prod.flush();
          tick++;
          long until = System.currentTimeMillis() + 100;
          while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, byte[]> r : cons.poll(Duration.ofMillis(20))) {
              seen.putIfAbsent(r.key(), System.currentTimeMillis());
            }
          }
          double[] rec = recovery(keys, sent, seen, killedAt[0]);
          if (rec != null) {
            return List.of(
                String.valueOf(standbys),
                Bench.f("%.1f", rec[0]),
                Bench.f("%.1f", rec[1]),
                Bench.f("%d of %d", (int) rec[2], Bench.PARTITIONS));
          }
          if (tick >= keys.get(0).size() || now - start > 240_000) {
            throw new IllegalStateException("no recovery within 4 min, standbys=" + standbys);
          }
        }
      }
    } finally {
      a.destroyForcibly();
      c.destroy();
      c.waitFor();
      Bench.deleteTree(b.dir.resolve("state").resolve(appId + "-a" + standbys));
      Bench.deleteTree(b.dir.resolve("state").resolve(appId + "-b" + standbys));
    }
  }

  /** Per partition, kill to the first probe sent after it being visible; null until all are. */
  private static double[] recovery(
      List<List<String>> keys, Map<String, Long> sent, Map<String, Long> seen, long killedAt) {
    if (killedAt == Long.MAX_VALUE) return null;
    double slowest = 0;
    double fastest = Double.MAX_VALUE;
    int waited = 0;
    for (List<String> ks : keys) {
      Long first = null;
      for (String k : ks) {
        Long s = sent.get(k);
        if (s == null) return null; // not sent yet
        if (s >= killedAt) {
          first = seen.get(k);
          break;
        }
      }
      if (first == null) return null;
      double secs = (first - killedAt) / 1e3;
      slowest = Math.max(slowest, secs);
      fastest = Math.min(fastest, secs);
      if (secs > 2) waited++;
    }
    return new double[] {slowest, fastest, waited};
  }

  /** Session ids by the partition the default partitioner gives them (input and events topic). */
  private static List<List<String>> probeKeys(String prefix, int perPartition) {
    List<List<String>> keys = new ArrayList<>();
    for (int p = 0; p < Bench.PARTITIONS; p++) keys.add(new ArrayList<>());
    for (int i = 0; keys.stream().anyMatch(l -> l.size() < perPartition); i++) {
      String k = prefix + i;
      int p =
          Utils.toPositive(Utils.murmur2(k.getBytes(StandardCharsets.UTF_8))) % Bench.PARTITIONS;
      if (keys.get(p).size() < perPartition) keys.get(p).add(k);
    }
    return keys;
  }

  private static void awaitReady(int port, Process p) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new IllegalStateException("instance exited: " + p.exitValue());
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) return;
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("instance on port " + port + " not ready in 10 min");
  }
}
