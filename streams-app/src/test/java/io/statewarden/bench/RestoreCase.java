package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import io.statewarden.topology.TopologyFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Case 5: restore and failover. First, {@code bench.sessions} sessions (one {@code InboundContact}
 * each, deadlines ~30 min ahead so nothing fires) are processed by one instance, which is stopped;
 * its state directory is deleted and, once its old member has left the group, it is started again:
 * start to {@code RUNNING} (group join, changelog restore and the rebuild of the deadline index
 * included). Then, on the same state, two instances run as separate JVMs, for each failover setting
 * of {@code bench.failover} (see {@link Failover}; default {@code classic/10000/3000}) and each
 * standby count of {@code bench.standbys} (default 0,1); with probe sessions created on every
 * partition every 100 ms, one instance is killed with SIGKILL, and for each partition the time from
 * the kill until a probe sent after it is visible as a transition (read_committed). Broker bounds a
 * setting needs ({@code group.min.session.timeout.ms} and the like) are checked first; lower them
 * with {@code bench.broker.props}.
 */
final class RestoreCase {
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
    // Kafka Streams is RUNNING while its tasks still restore: time the first processed record
    StatewardenApp[] again = new StatewardenApp[1];
    double[] restart;
    long stored;
    try {
      restart =
          probe(
              input,
              appId,
              "restart",
              0,
              () -> {
                try {
                  again[0] = b.startStatewarden(appId, input, Map.of());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      stored = countSessions(again[0]);
    } finally {
      if (again[0] != null) again[0].close();
    }
    b.awaitGroupEmpty(appId, Duration.ofMinutes(2));
    double secs = restart[0];
    Bench.table(
        "Restore onto a wiped instance (EOS, 1 thread, 6 tasks)",
        List.of(
            "sessions",
            "changelog records (with transaction markers)",
            "start to first processed record, slowest partition s",
            "sessions/s",
            "sessions in the store then"),
        List.of(
            List.of(
                Bench.f("%,d", sessions),
                Bench.f("%,d", changelog),
                Bench.f("%.1f", secs),
                Bench.f("%,.0f", sessions / secs),
                Bench.f("%,d", stored))));

    List<List<String>> rows = new ArrayList<>();
    int reps = Bench.intProp("bench.reps", 3);
    List<Failover> settings =
        Stream.of(Bench.prop("bench.failover", "classic/10000/3000").split(","))
            .map(Failover::parse)
            .toList();
    Map<String, String> broker = brokerConfig();
    for (Failover f : settings) {
      List<String> needs = f.brokerNeeds(broker);
      for (String standbysText : Bench.prop("bench.standbys", "0,1").split(",")) {
        int standbys = Integer.parseInt(standbysText.trim());
        List<Double> moved = new ArrayList<>();
        List<Double> kept = new ArrayList<>();
        int tasks = 0;
        String failed = null;
        for (int i = 0; i < reps && failed == null; i++) {
          try {
            double[] r = killOne(appId, input, f, standbys, secs, f.tag() + standbys + "-" + i);
            tasks += (int) r[0];
            moved.add(r[1]);
            kept.add(r[2]);
          } catch (IllegalStateException e) {
            failed = e.getMessage();
            System.out.println("  " + f + ", " + standbys + " standby: " + failed);
          }
          // the next run, with another protocol perhaps, starts on an empty group
          b.awaitGroupEmpty(appId, Duration.ofMinutes(3));
        }
        rows.add(
            List.of(
                f.toString(),
                String.join(", ", needs),
                String.valueOf(standbys),
                moved.isEmpty()
                    ? "-"
                    : Bench.f("%.1f of %d", tasks / (double) moved.size(), Bench.PARTITIONS),
                moved.isEmpty() ? "failed: " + failed : spread(moved),
                kept.isEmpty() ? "-" : spread(kept)));
      }
    }
    Bench.table(
        "SIGKILL of one of two instances (" + Bench.f("%,d", sessions) + " sessions)",
        List.of(
            "group protocol / session.timeout.ms / heartbeat.interval.ms / transaction.timeout.ms",
            "broker settings it needs (EmbeddedKafka's differ from Kafka's defaults)",
            "standby replicas",
            "engine tasks on the killed instance",
            "kill to first processed record on their partitions (slowest): median, min-max (runs) s",
            "on the other partitions (slowest): median, min-max (runs) s"),
        rows);
  }

  /**
   * One failover setting, {@code
   * PROTOCOL/SESSION_MS/HEARTBEAT_MS[/TRANSACTION_TIMEOUT_MS][+K=V...]}, e.g. {@code
   * classic/10000/3000} or {@code streams/2000/500/2000}. With {@code classic} the session timeout
   * and heartbeat interval are the consumer's settings; with {@code streams} (KIP-1071) the broker
   * owns them, so they are set on the group ({@code streams.session.timeout.ms}, {@code
   * streams.heartbeat.interval.ms}, {@code streams.num.standby.replicas}) before the instances
   * start. No transaction timeout keeps Kafka Streams' (10 s with exactly-once). Each {@code +K=V}
   * is one more setting of both instances, e.g. {@code +restore.consumer.fetch.max.wait.ms=100}.
   */
  record Failover(
      String protocol,
      int sessionMs,
      int heartbeatMs,
      int transactionMs,
      Map<String, String> extra) {
    static Failover parse(String spec) {
      String[] parts = spec.trim().split("\\+");
      String[] p = parts[0].split("/");
      if ((p.length != 3 && p.length != 4) || !(p[0].equals("classic") || p[0].equals("streams"))) {
        throw new IllegalArgumentException(
            "bench.failover: want PROTOCOL/SESSION_MS/HEARTBEAT_MS[/TRANSACTION_TIMEOUT_MS][+K=V...],"
                + " PROTOCOL classic or streams; got "
                + spec);
      }
      Map<String, String> extra = new java.util.LinkedHashMap<>();
      for (int i = 1; i < parts.length; i++) {
        String[] kv = parts[i].split("=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("bench.failover: want +K=V, got +" + parts[i]);
        }
        extra.put(kv[0], kv[1]);
      }
      return new Failover(
          p[0],
          Integer.parseInt(p[1]),
          Integer.parseInt(p[2]),
          p.length == 4 ? Integer.parseInt(p[3]) : 0,
          extra);
    }

    boolean streams() {
      return protocol.equals("streams");
    }

    String tag() {
      return protocol.charAt(0)
          + ""
          + sessionMs
          + "-"
          + heartbeatMs
          + "-"
          + transactionMs
          + "-"
          + (extra.isEmpty() ? "" : "x" + Integer.toHexString(extra.hashCode() & 0xffff) + "-");
    }

    @Override
    public String toString() {
      return protocol
          + " / "
          + sessionMs
          + " / "
          + heartbeatMs
          + " / "
          + (transactionMs == 0 ? "10000 (Streams' default)" : String.valueOf(transactionMs))
          + extra.entrySet().stream()
              .map(e -> " + " + e.getKey() + "=" + e.getValue())
              .reduce("", String::concat);
    }

    /** The instances' settings: all but the group's own, for the streams protocol. */
    Map<String, Object> clientSettings(int standbys) {
      Map<String, Object> o = new HashMap<>();
      if (streams()) {
        // Kafka Streams ignores num.standby.replicas here, with a warning: the group's setting
        o.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
      } else {
        o.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbys);
        o.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionMs);
        o.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, heartbeatMs);
      }
      if (transactionMs > 0) {
        o.put(
            StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), transactionMs);
      }
      o.putAll(extra);
      return o;
    }

    /**
     * The broker settings this one needs, checked against the broker's: a bound it breaks fails the
     * run here, with the setting to change, rather than as a refused join later.
     */
    List<String> brokerNeeds(Map<String, String> broker) {
      Map<String, Integer> max = new LinkedHashMap<>(); // setting -> the most it may be
      if (streams()) {
        max.put("group.streams.min.session.timeout.ms", sessionMs);
        max.put("group.streams.min.heartbeat.interval.ms", heartbeatMs);
      } else {
        max.put("group.min.session.timeout.ms", sessionMs);
      }
      int txn = transactionMs == 0 ? 10_000 : transactionMs;
      // a dead producer's open transaction holds read_committed readers back until the
      // coordinator aborts it: at the transaction timeout, on its next check for timed-out ones
      max.put(
          "transaction.abort.timed.out.transaction.cleanup.interval.ms", Math.max(1000, txn / 2));
      List<String> out = new ArrayList<>();
      List<String> broken = new ArrayList<>();
      max.forEach(
          (k, v) -> {
            long has = Long.parseLong(broker.getOrDefault(k, "-1"));
            out.add(k + "=" + has);
            if (has > v && !k.startsWith("transaction.")) {
              broken.add(k + " is " + has + ", must be <= " + v);
            }
          });
      if (!broken.isEmpty()) {
        throw new IllegalStateException(
            this + ": the broker refuses it: " + broken + "; set -Dbench.broker.props=...");
      }
      return out;
    }
  }

  /** The broker's settings, as it reports them. */
  private Map<String, String> brokerConfig() throws Exception {
    ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "1");
    Map<String, String> m = new HashMap<>();
    for (var e : b.admin.describeConfigs(List.of(node)).all().get().get(node).entries()) {
      if (e.value() != null) m.put(e.name(), e.value());
    }
    return m;
  }

  /** The group's own settings, for the streams protocol; the broker keeps them. */
  private void setStreamsGroupConfig(String group, Failover f, int standbys) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.GROUP, group);
    List<AlterConfigOp> ops = new ArrayList<>();
    for (var e :
        Map.of(
                "streams.session.timeout.ms", f.sessionMs(),
                "streams.heartbeat.interval.ms", f.heartbeatMs(),
                "streams.num.standby.replicas", standbys)
            .entrySet()) {
      ops.add(
          new AlterConfigOp(
              new ConfigEntry(e.getKey(), String.valueOf(e.getValue())), AlterConfigOp.OpType.SET));
    }
    b.admin.incrementalAlterConfigs(Map.of(r, ops)).all().get();
  }

  private static String spread(List<Double> xs) {
    return Bench.f(
            "%.1f, %.1f-%.1f ",
            Bench.median(xs),
            xs.stream().mapToDouble(d -> d).min().orElse(0),
            xs.stream().mapToDouble(d -> d).max().orElse(0))
        + each(xs);
  }

  private static String each(List<Double> xs) {
    return "(" + String.join(" / ", xs.stream().map(x -> Bench.f("%.1f", x)).toList()) + ")";
  }

  /**
   * The engine partitions (events topic) instance {@code n} runs, from {@link Bench#assignment}.
   */
  private static List<Integer> enginePartitions(
      Map<String, List<Integer>> owned, String appId, String n) {
    return owned.entrySet().stream()
        .filter(e -> e.getKey().startsWith(appId + "-" + n + "-"))
        .flatMap(e -> e.getValue().stream())
        .toList();
  }

  /** Whether the instances' engine task counts differ by one at most. */
  private static boolean balanced(
      Map<String, List<Integer>> owned, String appId, java.util.Set<String> instances) {
    var counts =
        instances.stream()
            .mapToInt(n -> enginePartitions(owned, appId, n).size())
            .summaryStatistics();
    return counts.getSum() == Bench.PARTITIONS && counts.getMax() - counts.getMin() <= 1;
  }

  /** Engine tasks on the killed instance, slowest recovery of their partitions, of the others. */
  private double[] killOne(
      String appId, String input, Failover f, int standbys, double restoreSecs, String tag)
      throws Exception {
    Map<String, Object> o = f.clientSettings(standbys);
    if (f.streams()) setStreamsGroupConfig(appId, f, standbys);
    Map<String, Process> procs = new HashMap<>();
    Map<String, Integer> ports = new HashMap<>();
    for (String n : List.of("a" + tag, "b" + tag)) {
      ports.put(n, io.statewarden.embedded.Ports.freeLoopbackPort());
      procs.put(n, b.startStatewardenProcess(appId, input, o, n, ports.get(n)));
    }
    try {
      for (String n : procs.keySet()) awaitReady(ports.get(n), procs.get(n));
      probe(input, appId, "ready" + tag, 0, () -> {}); // every active task is restored
      if (f.streams()) {
        // the broker assigns standbys in this protocol: show that it did
        var d = b.admin.describeStreamsGroups(List.of(appId)).all().get().get(appId);
        System.out.printf(
            "  %s: streams group, %d members, standby tasks assigned: %d%n",
            tag,
            d.members().size(),
            d.members().stream()
                .flatMap(m -> m.assignment().standbyTasks().stream())
                .mapToInt(t -> t.partitions().size())
                .sum());
      }
      // standbys restore in the background: give them twice what a full restore took
      Thread.sleep((long) (Math.max(10, 2 * restoreSecs) * 1000));
      // with bench.failover.balance=S, wait up to S seconds for the instances to run the engine
      // tasks evenly (counts one apart at most): the first instance to join often takes them all,
      // and the other takes its share at the first probing rebalance after its standbys caught up
      // (60 s, a statewarden default since 2026-11-27, decision 31; Kafka's is 10 minutes). A
      // balanced group is the steady state
      Map<String, List<Integer>> owned = b.assignment(appId, Bench.SwTopics.of(appId).events());
      int balance = Bench.intProp("bench.failover.balance", 0);
      long waited = System.nanoTime();
      while (balance > 0
          && !balanced(owned, appId, procs.keySet())
          && System.nanoTime() - waited < balance * 1_000_000_000L) {
        Thread.sleep(500);
        owned = b.assignment(appId, Bench.SwTopics.of(appId).events());
      }
      if (balance > 0) {
        System.out.printf(
            "  %s: %s after %.1f s more%n",
            tag,
            balanced(owned, appId, procs.keySet()) ? "balanced" : "not balanced",
            (System.nanoTime() - waited) / 1e9);
      }
      // kill the instance that runs the most engine tasks (events topic partitions)
      String victim = null;
      List<Integer> lost = List.of();
      for (String n : procs.keySet()) {
        List<Integer> ps = enginePartitions(owned, appId, n);
        if (ps.size() > lost.size()) {
          victim = n;
          lost = ps;
        }
      }
      if (victim == null) throw new IllegalStateException("no engine tasks assigned: " + owned);
      Process killed = procs.get(victim);
      String dead = victim;
      java.time.LocalTime[] killedAt = new java.time.LocalTime[1];
      double[] rec =
          probe(
              input,
              appId,
              "kill" + tag,
              5_000,
              () -> {
                killed.destroyForcibly();
                killedAt[0] = java.time.LocalTime.now();
              });
      String survivor = procs.keySet().stream().filter(n -> !n.equals(dead)).findFirst().get();
      int ran = enginePartitions(owned, appId, survivor).size();
      printTimeline(tag, appId + "-" + survivor, killedAt[0], rec, lost.size(), ran);
      List<Integer> moved = lost;
      double slowestMoved = 0;
      double slowestKept = 0;
      for (int p = 0; p < Bench.PARTITIONS; p++) {
        if (moved.contains(p)) slowestMoved = Math.max(slowestMoved, rec[3 + p]);
        else slowestKept = Math.max(slowestKept, rec[3 + p]);
      }
      return new double[] {moved.size(), slowestMoved, slowestKept};
    } finally {
      if (!Bench.prop("bench.instance.jfr", "").isEmpty()) {
        // the survivor's flight recording (a JFR started by bench.instance.jvm), before SIGKILL
        for (var e : procs.entrySet()) {
          if (!e.getValue().isAlive()) continue;
          Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
          Path folder = Path.of(Bench.prop("bench.instance.jfr", "")).toAbsolutePath();
          java.nio.file.Files.createDirectories(folder);
          Path out = folder.resolve(e.getKey() + ".jfr");
          new ProcessBuilder(
                  jcmd.toString(),
                  String.valueOf(e.getValue().pid()),
                  "JFR.dump",
                  "filename=" + out)
              .inheritIO()
              .start()
              .waitFor();
        }
      }
      for (Process p : procs.values()) p.destroyForcibly();
      for (Process p : procs.values()) p.waitFor();
      for (String n : procs.keySet()) {
        Bench.deleteTree(b.dir.resolve("state").resolve(appId + "-" + n));
      }
    }
  }

  /**
   * The failover's phases in seconds after the kill (decision 29), from the broker's and the
   * survivor's logs: printed when their Kafka loggers are at INFO ({@code bench.broker.jvm}, {@code
   * bench.instance.jvm} with a logback file; see docs/benchmarks.md, Commands), else just the kill.
   */
  private void printTimeline(
      String tag,
      String survivor,
      java.time.LocalTime killedAt,
      double[] recovery,
      int moved,
      int ran)
      throws java.io.IOException {
    List<String[]> phases =
        List.of(
            new String[] {"broker.log", "has failed, removing it from the group", "member dropped"},
            new String[] {survivor + ".log", "Request joining group due to", "survivor rejoins"},
            new String[] {survivor + ".log", "Successfully synced group", "assigned"},
            new String[] {survivor + ".log", "Finished restoring changelog", "changelogs read"},
            new String[] {survivor + ".log", "Restored and ready to run", "tasks running"});
    StringBuilder line = new StringBuilder();
    for (String[] ph : phases) {
      java.time.LocalTime at = null;
      boolean last = ph[2].equals("changelogs read") || ph[2].equals("tasks running");
      Path log = b.dir.resolve(ph[0]);
      if (!java.nio.file.Files.exists(log)) continue; // the broker in-process: no log of its own
      for (String l : java.nio.file.Files.readAllLines(log)) {
        if (l.length() < 12 || !l.contains(ph[1])) continue;
        java.time.LocalTime t;
        try {
          t = java.time.LocalTime.parse(l.substring(0, 12));
        } catch (java.time.format.DateTimeParseException e) {
          continue;
        }
        if (t.isBefore(killedAt) || t.isAfter(killedAt.plusSeconds(30))) continue;
        if (at == null || last) at = t;
        if (!last) break;
      }
      if (at != null) {
        line.append(
            Bench.f(
                ", %s +%.2f", ph[2], java.time.Duration.between(killedAt, at).toMillis() / 1e3));
      }
    }
    System.out.printf(
        "  %s: killed at %s (%d engine tasks; the survivor ran %d)%s, first processed record on"
            + " every partition +%.1f%n",
        tag, killedAt, moved, ran, line, recovery[0]);
  }

  /**
   * Creates a new session on every partition of the (JSON) input every 100 ms, runs {@code action}
   * after {@code actionAfterMs}, and returns, over the partitions, the slowest and the fastest time
   * from the action until a probe sent after it is visible as a transition (read_committed), and
   * how many partitions took more than 2 s.
   */
  private double[] probe(
      String input, String appId, String tag, long actionAfterMs, Runnable action)
      throws Exception {
    List<List<String>> keys = probeKeys("probe-" + tag + "-", 5_000);
    Map<String, Long> sent = new ConcurrentHashMap<>();
    Map<String, Long> seen = new ConcurrentHashMap<>();
    long actedAt = Long.MAX_VALUE;
    Workload.Script listener = Workload.SCRIPTS.get(0);
    try (KafkaProducer<String, byte[]> prod = b.producer();
        KafkaConsumer<String, byte[]> cons =
            b.committedConsumer(Bench.SwTopics.of(appId).transitions())) {
      cons.seekToEnd(cons.assignment());
      cons.assignment().forEach(cons::position); // resolve the end offsets now
      long start = System.currentTimeMillis();
      for (int tick = 0; tick < keys.get(0).size(); tick++) {
        if (actedAt == Long.MAX_VALUE && System.currentTimeMillis() - start >= actionAfterMs) {
          action.run();
          actedAt = System.currentTimeMillis();
        }
        for (int p = 0; p < Bench.PARTITIONS; p++) {
          String id = keys.get(p).get(tick);
          long now = System.currentTimeMillis();
          sent.put(id, now);
          prod.send(
              new ProducerRecord<>(
                  input, p, now, id, Workload.json(id, id + "-0", listener, "InboundContact")));
        }
        prod.flush();
        long until = System.currentTimeMillis() + 100;
        while (System.currentTimeMillis() < until) {
          for (ConsumerRecord<String, byte[]> r : cons.poll(Duration.ofMillis(20))) {
            seen.putIfAbsent(r.key(), System.currentTimeMillis());
          }
        }
        double[] rec = recovery(keys, sent, seen, actedAt);
        if (rec != null) return rec;
      }
    }
    throw new IllegalStateException(tag + ": not every partition processed a probe in time");
  }

  /** Per partition, action to the first probe sent after it being visible; null until all are. */
  private static double[] recovery(
      List<List<String>> keys, Map<String, Long> sent, Map<String, Long> seen, long killedAt) {
    if (killedAt == Long.MAX_VALUE) return null;
    double slowest = 0;
    double fastest = Double.MAX_VALUE;
    int waited = 0;
    double[] out = new double[3 + keys.size()];
    for (int p = 0; p < keys.size(); p++) {
      List<String> ks = keys.get(p);
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
      out[3 + p] = secs;
      slowest = Math.max(slowest, secs);
      fastest = Math.min(fastest, secs);
      if (secs > 2) waited++;
    }
    out[0] = slowest;
    out[1] = fastest;
    out[2] = waited;
    return out;
  }

  /** Every session in the instance's stores, through interactive queries. */
  private static long countSessions(StatewardenApp app) {
    long n = 0;
    try (KeyValueIterator<String, byte[]> it =
        app.streams()
            .store(
                StoreQueryParameters.<ReadOnlyKeyValueStore<String, byte[]>>fromNameAndType(
                    TopologyFactory.SESSIONS_STORE, QueryableStoreTypes.keyValueStore()))
            .all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
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
