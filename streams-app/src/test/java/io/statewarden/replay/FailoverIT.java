package io.statewarden.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.embedded.Ports;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of one application, each its own JVM, one of them killed with SIGKILL.
 *
 * <p>During load, and started again: a read_committed consumer sees every transition once, seq
 * without gaps, one audit per fired deadline, and every session reaches its end (deadlines that
 * came due while their partition was moving fire after it runs again).
 *
 * <p>With one standby replica, once the standbys caught up: the survivor's promoted standbys list
 * every session through {@code GET /sessions} (decision 0025: the list index is rebuilt when a task
 * starts, a promoted standby included).
 */
@ExtendWith(RealKafka.class)
class FailoverIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final int LIVE_PARTITIONS = 4;
  private static final int LIVE_SESSIONS = 60;
  private static final Duration WAIT = Duration.ofSeconds(120);

  /** Sessions that stay where they are: no state timeout, no session timeout, never purged. */
  private static final String LIVE_PROTOCOL =
      """
      protocol: standby-test
      version: 1
      initial: WAITING
      start: [Open]
      states:
        WAITING:
          on:
            Step: WORKING
            Finish: DONE
        WORKING:
          on:
            Finish: DONE
        DONE: {final: COMPLETED}
      """;

  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  @Test
  void shouldLoseAndRepeatNothingWhenAnInstanceIsKilledUnderLoad(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.copy(
        FailoverIT.class.getResourceAsStream("/replay/replay-test.yaml"),
        protocols.resolve("replay-test.yaml"));
    try (Deployment d = new Deployment(infra, dir.resolve("state-a"), 4)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      Process[] a = {ReplayIT.runJar(d)};
      d.extra.put("state.dir", dir.resolve("state-b").toString());
      Process b = ReplayIT.runJar(d);
      d.extra.put("state.dir", dir.resolve("state-a").toString());
      try {
        ReplayIT.traffic(
            d,
            7,
            () -> {
              try {
                a[0].destroyForcibly().waitFor(); // kill -9 one instance mid-load
                a[0] = ReplayIT.runJar(d);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
        List<Transition> ts = ReplayIT.awaitQuiet(d);

        ReplayIT.assertExactlyOnce(d, ts);
      } finally {
        for (Process p : List.of(a[0], b)) {
          p.destroy();
          p.waitFor(60, TimeUnit.SECONDS);
        }
      }
    }
  }

  /**
   * Decision 0025: the session list index is in memory and unlogged, so a standby's is empty (a
   * standby runs no processor). When the instance holding the active tasks is killed, the survivor
   * recycles its caught-up standbys into active tasks, and the engine processor's init must rebuild
   * their index from the sessions the standby kept: {@code GET /sessions} on the survivor then
   * lists every session, the killed instance's included, and the state filter still selects.
   */
  @Test
  void shouldListEverySessionThroughTheSurvivorWhoseStandbysWerePromoted(KafkaInfra infra)
      throws Exception {
    Path protocols = liveProtocols("protocols-live");
    List<String> ids = liveIds("sb");
    assertThat(ids.stream().map(FailoverIT::partitionOf).distinct())
        .as("the sessions fall on every partition")
        .hasSize(LIVE_PARTITIONS);
    List<String> working =
        IntStream.range(0, ids.size()).filter(i -> i % 2 == 0).mapToObj(ids::get).toList();
    List<String> waiting =
        IntStream.range(0, ids.size()).filter(i -> i % 2 == 1).mapToObj(ids::get).toList();
    try (Deployment d = new Deployment(infra, dir.resolve("state-a"), LIVE_PARTITIONS);
        Admin admin = Admin.create(infra.clientConfig())) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put("num.standby.replicas", "1");
      int portA = Ports.freeLoopbackPort();
      int portB = Ports.freeLoopbackPort();
      Process a = start(d, "a", portA);
      Process b = start(d, "b", portB);
      try {
        awaitReady(portA, a);
        awaitReady(portB, b);

        // given: live sessions on every partition, half of them moved on to WORKING
        long now = System.currentTimeMillis();
        for (String id : ids) {
          d.sendJson(id, Deployment.json(id, id + "-open", "standby-test", "Open", "{}"), now);
        }
        for (String id : working) {
          d.sendJson(id, Deployment.json(id, id + "-step", "standby-test", "Step", "{}"), now + 1);
        }
        d.awaitAvro(d.topics.transitions(), Transition.class, ids.size() + working.size(), WAIT);
        // processed on both instances: each lists a part of its own (a forwarded request)
        Awaitility.await()
            .atMost(WAIT)
            .until(
                () -> {
                  int ofA = ownPart(portA);
                  int ofB = ownPart(portB);
                  return ofA > 0 && ofB > 0 && ofA + ofB == ids.size();
                });
        assertThat(listed(portB, "")).as("listed through B before the kill").isEqualTo(ids);
        // and every task's standby has read its sessions changelog to the last committed record
        awaitStandbysCaughtUp(d, admin, portA, portB);

        // when: A is killed with SIGKILL
        a.destroyForcibly().waitFor();

        // then: B runs every task, its standbys recycled into active tasks
        Awaitility.await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(500))
            .until(() -> status(portB, "/health/ready") == 200 && activeOnlyOn(d, admin, "b-"));
        // and lists every session, the killed instance's included, each once, by state too
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> status(portB, "/sessions?limit=1") == 200);
        assertThat(listed(portB, "")).as("listed through B after A was killed").isEqualTo(ids);
        assertThat(listed(portB, "&protocol=standby-test&state=WORKING")).isEqualTo(working);
        assertThat(listed(portB, "&state=WAITING")).isEqualTo(waiting);
        // and what they list is what the standbys had read: no task restored a record
        assertThat(metrics(portB).get("kafka_stream_task_metrics_restore_total").samples())
            .as("records restored by each of B's tasks")
            .hasSize(LIVE_PARTITIONS)
            .allSatisfy(t -> assertThat(t.value()).as(t.labels().get("task_id")).isZero());
      } finally {
        a.destroyForcibly().waitFor();
        b.destroy();
        b.waitFor(60, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * An instance that joins with its stores behind (new, or restarted after a while) gets only
   * standbys at first: Kafka's assignor keeps a task where it is caught up, and moves it at the
   * first probing rebalance after the newcomer's copy is within {@code acceptable.recovery.lag}.
   * statewarden ships {@code probing.rebalance.interval.ms=60000} (Kafka's default is 10 minutes),
   * so the newcomer takes its share about a minute after it caught up; until then a crash of the
   * other instance moves every task to one cold survivor (docs/benchmarks.md, case 5). With Kafka's
   * default this test times out.
   */
  @Test
  void shouldGiveAJoiningInstanceItsShareOfTheTasksAboutAMinuteAfterItCaughtUp(KafkaInfra infra)
      throws Exception {
    Path protocols = liveProtocols("protocols-join");
    List<String> ids = liveIds("jn");
    try (Deployment d = new Deployment(infra, dir.resolve("state-a"), LIVE_PARTITIONS);
        Admin admin = Admin.create(infra.clientConfig())) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put("num.standby.replicas", "1");
      // each partition holds 10-20 sessions: a newcomer with no stores is behind by more than 5
      d.extra.put("acceptable.recovery.lag", "5");
      int portA = Ports.freeLoopbackPort();
      int portB = Ports.freeLoopbackPort();
      Process a = start(d, "a", portA);
      Process b = null;
      try {
        awaitReady(portA, a);
        long now = System.currentTimeMillis();
        for (String id : ids) {
          d.sendJson(id, Deployment.json(id, id + "-open", "standby-test", "Open", "{}"), now);
        }
        d.awaitAvro(d.topics.transitions(), Transition.class, ids.size(), WAIT);

        // given: B joins with nothing in its stores, behind A by more than 5 on every partition,
        Map<Integer, Long> perPartition =
            ids.stream()
                .collect(Collectors.groupingBy(FailoverIT::partitionOf, Collectors.counting()));
        assertThat(perPartition).as("sessions per partition").hasSize(LIVE_PARTITIONS);
        assertThat(perPartition.values()).allMatch(n -> n > 5);
        // and runs no engine task at first
        b = start(d, "b", portB);
        awaitReady(portB, b);
        Awaitility.await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  Map<String, Integer> owned = enginePartitionsOf(d, admin, true);
                  return owned != null
                      && owned.keySet().equals(Set.of("a", "b"))
                      && owned.values().stream().mapToInt(n -> n).sum() == LIVE_PARTITIONS;
                });
        long joined = System.nanoTime();
        assertThat(enginePartitionsOf(d, admin, false))
            .as("B, behind by more than acceptable.recovery.lag, runs no engine task when it joins")
            .containsEntry("a", LIVE_PARTITIONS)
            .containsEntry("b", 0);

        // then: once its standbys caught up, the next probing rebalance gives it its share
        Awaitility.await()
            .atMost(Duration.ofSeconds(110))
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(
                () ->
                    assertThat(enginePartitionsOf(d, admin, false))
                        .as("engine tasks per instance")
                        .isEqualTo(Map.of("a", LIVE_PARTITIONS / 2, "b", LIVE_PARTITIONS / 2)));
        System.out.printf(
            "FailoverIT: B ran its share %.1f s after it joined%n",
            (System.nanoTime() - joined) / 1e9);
        // and the tasks it took run on the sessions they had: every session takes its next step
        now = System.currentTimeMillis();
        for (String id : ids) {
          d.sendJson(id, Deployment.json(id, id + "-step", "standby-test", "Step", "{}"), now);
        }
        d.awaitAvro(d.topics.transitions(), Transition.class, 2 * ids.size(), WAIT);
        assertThat(ownPart(portA) + ownPart(portB)).isEqualTo(ids.size());
        assertThat(listed(portB, "&protocol=standby-test&state=WORKING")).isEqualTo(ids);
      } finally {
        for (Process p : b == null ? List.of(a) : List.of(a, b)) p.destroy();
        for (Process p : b == null ? List.of(a) : List.of(a, b)) {
          if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
      }
    }
  }

  /** A protocols directory holding {@link #LIVE_PROTOCOL}. */
  private Path liveProtocols(String name) throws java.io.IOException {
    Path protocols = Files.createDirectories(dir.resolve(name));
    Files.writeString(protocols.resolve("standby-test.yaml"), LIVE_PROTOCOL);
    return protocols;
  }

  /** {@link #LIVE_SESSIONS} session ids, {@code prefix-00} on, in order. */
  private static List<String> liveIds(String prefix) {
    return IntStream.range(0, LIVE_SESSIONS)
        .mapToObj(i -> String.format("%s-%02d", prefix, i))
        .toList();
  }

  /** One instance as its own JVM: its own state directory, HTTP port and client id. */
  private Process start(Deployment d, String name, int httpPort) throws Exception {
    d.extra.put("state.dir", dir.resolve("state-" + name).toString());
    d.extra.put(StatewardenConfig.HTTP_PORT, String.valueOf(httpPort));
    d.extra.put(StatewardenConfig.INSTANCE_ID, name);
    d.extra.put("client.id", name + "-" + d.appId);
    return ReplayIT.runJar(d);
  }

  private void awaitReady(int port, Process p) {
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              assertThat(p.isAlive())
                  .as("instance on port %d is running: %s", port, logs())
                  .isTrue();
              return status(port, "/health/ready") == 200;
            });
  }

  /** The end of each instance's output (ReplayIT.runJar writes it next to the state dirs). */
  private String logs() throws java.io.IOException {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("live-")).toList()) {
        List<String> lines = Files.readAllLines(f);
        out.append("\n--- ").append(f.getFileName()).append('\n');
        lines
            .subList(Math.max(0, lines.size() - 30), lines.size())
            .forEach(l -> out.append(l).append('\n'));
      }
    }
    return out.toString();
  }

  /** The HTTP status of a GET, or -1 while nothing answers. */
  private int status(int port, String path) throws InterruptedException {
    try {
      return http.send(request(port, path).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private static HttpRequest.Builder request(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
  }

  /** The sessions an instance holds itself (a forwarded request is not fanned out), or -1. */
  private int ownPart(int port) throws Exception {
    HttpResponse<String> r =
        http.send(
            request(port, "/sessions?limit=1000")
                .header(io.statewarden.api.SessionQuery.FORWARDED, "test")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? JSON.readTree(r.body()).get("sessions").size() : -1;
  }

  /** {@code GET /sessions} page by page (7 a page): the session ids, each listed once. */
  private List<String> listed(int port, String query) throws Exception {
    List<String> out = new ArrayList<>();
    String after = null;
    do {
      String path = "/sessions?limit=7" + query + (after == null ? "" : "&after=" + after);
      HttpResponse<String> r = http.send(request(port, path).build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
      JsonNode body = JSON.readTree(r.body());
      body.get("sessions").forEach(s -> out.add(s.get("sessionId").asText()));
      after = body.get("next").isNull() ? null : body.get("next").asText();
    } while (after != null);
    assertThat(out).as("listed once each").doesNotHaveDuplicates();
    return out.stream().sorted().toList();
  }

  /**
   * Waits until, for every partition of the sessions changelog, a restore consumer (which reads a
   * standby's changelogs) has read up to the last stable offset. Its metric {@code records-lead} is
   * its position less the log start offset, which is 0 here (nothing was deleted).
   */
  private void awaitStandbysCaughtUp(Deployment d, Admin admin, int... ports) {
    String changelog = d.appId + "-sessions-changelog";
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < LIVE_PARTITIONS; p++) {
      latest.put(new TopicPartition(changelog, p), OffsetSpec.latest());
    }
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<Integer, Long> stable = new TreeMap<>();
              admin
                  .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                  .all()
                  .get()
                  .forEach((tp, o) -> stable.put(tp.partition(), o.offset()));
              Map<Integer, Long> read = new TreeMap<>();
              for (int port : ports) {
                PrometheusTextParser.Family lead =
                    metrics(port).get("kafka_consumer_fetch_manager_metrics_records_lead");
                if (lead == null) continue;
                for (PrometheusTextParser.Sample s : lead.samples()) {
                  if (s.labels().getOrDefault("client_id", "").endsWith("-restore-consumer")
                      && changelog.equals(s.labels().get("topic"))) {
                    read.merge(
                        Integer.parseInt(s.labels().get("partition")), (long) s.value(), Math::max);
                  }
                }
              }
              assertThat(stable.values()).as("every partition has sessions").allMatch(o -> o > 0);
              assertThat(read)
                  .as("standby positions; last stable offsets " + stable)
                  .isEqualTo(stable);
            });
  }

  /** {@code GET /metrics}, parsed. */
  private Map<String, PrometheusTextParser.Family> metrics(int port) throws Exception {
    HttpResponse<String> r = http.send(request(port, "/metrics").build(), BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return PrometheusTextParser.parse(r.body());
  }

  /** Whether the group's only members are {@code prefix}'s and they own every input partition. */
  private static boolean activeOnlyOn(Deployment d, Admin admin, String prefix) throws Exception {
    var members = admin.describeConsumerGroups(List.of(d.appId)).all().get().get(d.appId).members();
    Set<TopicPartition> owned = new HashSet<>();
    for (var m : members) {
      if (!m.clientId().startsWith(prefix)) return false;
      owned.addAll(m.assignment().topicPartitions());
    }
    return owned.size() == 2 * LIVE_PARTITIONS; // the events topic and the JSON events topic
  }

  /**
   * Partitions of the events topic (the engine's tasks) each instance runs, by instance name
   * ({@code a} or {@code b}, the start of its client id), members with none included; with {@code
   * stableOnly}, null while a rebalance is under way (members' assignments not final then).
   */
  private static Map<String, Integer> enginePartitionsOf(
      Deployment d, Admin admin, boolean stableOnly) throws Exception {
    var group = admin.describeConsumerGroups(List.of(d.appId)).all().get().get(d.appId);
    if (stableOnly && group.groupState() != org.apache.kafka.common.GroupState.STABLE) return null;
    Map<String, Integer> out = new TreeMap<>();
    for (var m : group.members()) {
      out.merge(
          m.clientId().startsWith("a-") ? "a" : m.clientId().startsWith("b-") ? "b" : m.clientId(),
          (int)
              m.assignment().topicPartitions().stream()
                  .filter(tp -> tp.topic().equals(d.topics.events()))
                  .count(),
          Integer::sum);
    }
    return out;
  }

  /** The partition the default partitioner picks for a key. */
  private static int partitionOf(String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % LIVE_PARTITIONS;
  }
}
