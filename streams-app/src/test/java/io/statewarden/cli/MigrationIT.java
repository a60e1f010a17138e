package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Migration;
import io.statewarden.replay.ReplayIT;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.DocBlocks;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate} end to end on the real broker and registry (docs/decisions/0018): the walkthrough
 * of docs/operations.md run as printed on 10,000 live sessions while their events flow, each
 * migrated exactly once with an audit record; the same migration id twice applies once; the read
 * token is refused 403 and a map naming a missing state 400, both writing nothing; a replay of the
 * whole log verifies identical; and an instance killed with SIGKILL mid-migration resumes it, every
 * session migrated exactly once.
 */
@ExtendWith(RealKafka.class)
class MigrationIT {
  static final String READ = "read-token-5d1c8a";
  static final String OPERATOR = "operator-token-9e4f2b";
  static final int SESSIONS = Integer.getInteger("migration.it.sessions", 10_000);
  static final ObjectMapper JSON = new ObjectMapper();

  /** payment v1 and v2: v2 renames AWAIT_FUNDS to AWAIT_PAYMENT and adds a review step. */
  static final String V1 =
      """
      protocol: payment
      version: 1
      initial: AWAIT_FUNDS
      start: [Open]
      states:
        AWAIT_FUNDS:
          timeout: {after: 1h, to: EXPIRED}
          on:
            Funded: SETTLING
        SETTLING:
          on:
            Settled: DONE
        DONE: {final: COMPLETED}
        EXPIRED: {final: BACKED_OUT}
      """;

  static final String V2 =
      """
      protocol: payment
      version: 2
      initial: AWAIT_PAYMENT
      start: [Open]
      states:
        AWAIT_PAYMENT:
          timeout: {after: 2h, to: EXPIRED}
          on:
            Funded: SETTLING
        SETTLING:
          timeout: {after: 1h, to: EXPIRED}
          on:
            Settled: REVIEW
        REVIEW:
          on:
            Approved: DONE
        DONE: {final: COMPLETED}
        EXPIRED: {final: BACKED_OUT}
      """;

  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  HttpResponse<String> post(int port, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode progress(int port, String id) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/migrations/" + id))
                .header("Authorization", "Bearer " + READ)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
  }

  Path protocols() throws Exception {
    Path p = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(p.resolve("v1.yaml"), V1);
    Files.writeString(p.resolve("v2.yaml"), V2);
    return p;
  }

  void secure(Deployment d, Path protocols) throws Exception {
    Path operatorFile = Files.writeString(dir.resolve("operator"), OPERATOR);
    d.extra.put(StatewardenConfig.HTTP_TOKEN, READ);
    d.extra.put(StatewardenConfig.HTTP_OPERATOR_TOKEN_FILE, operatorFile.toString());
    d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
  }

  /** Sends one JSON event per session, without waiting for each. */
  static void sendAll(Deployment d, int n, String type, boolean open) {
    Map<String, Object> c = d.infra.clientConfig();
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
      long now = System.currentTimeMillis();
      for (int i = 0; i < n; i++) {
        String s = "p" + i;
        String json =
            "{\"eventId\":\""
                + s
                + "-"
                + type
                + "\",\"sessionId\":\""
                + s
                + "\",\"protocol\":\"payment\","
                + (open ? "\"protocolVersion\":1," : "")
                + "\"type\":\""
                + type
                + "\",\"payload\":{}}";
        p.send(
            new ProducerRecord<>(
                d.topics.eventsJson(),
                null,
                now,
                s.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8)));
      }
      p.flush();
    }
  }

  /** The end offsets of the events topic: what was written to it. */
  static Map<Integer, Long> eventsEnd(Deployment d) {
    Map<String, Object> c = d.infra.clientConfig();
    try (KafkaConsumer<byte[], byte[]> k =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> ps =
          k.partitionsFor(d.topics.events()).stream()
              .map(p -> new TopicPartition(d.topics.events(), p.partition()))
              .toList();
      Map<Integer, Long> out = new TreeMap<>();
      k.endOffsets(ps).forEach((tp, o) -> out.put(tp.partition(), o));
      return out;
    }
  }

  /** Per session, the transitions migration {@code id} caused. */
  static Map<String, Integer> migratedBy(List<Transition> ts, String id) {
    Map<String, Integer> n = new HashMap<>();
    for (Transition t : ts) {
      if (id.equals(t.getEventId()) && t.getTrigger() == Trigger.OPERATOR) {
        n.merge(t.getSessionId(), 1, Integer::sum);
      }
    }
    return n;
  }

  /** A doc command line as arguments: words, and "double quoted" words. */
  static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
    while (m.find()) out.add(m.group(1) != null ? m.group(1) : m.group(2));
    return out;
  }

  @Test
  void shouldMigrateTenThousandLiveSessionsAsTheWalkthroughSaysWhileEventsFlow(KafkaInfra infra)
      throws Exception {
    // given payment v1 and v2 loaded, and SESSIONS live sessions on v1
    Path protocols = protocols();
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      secure(d, protocols);
      d.start();
      int port = d.app().httpPort();
      sendAll(d, SESSIONS, "Open", true);
      d.awaitAvro(d.topics.transitions(), Transition.class, SESSIONS, Duration.ofMinutes(3));
      Map<Integer, Long> before = eventsEnd(d);

      // when a reader asks for a migration, and an operator for one whose map names a missing state
      String body = "{\"protocol\":\"payment\",\"from\":1,\"to\":2,\"reason\":\"r\",\"map\":%s}";
      HttpResponse<String> reader =
          post(port, "/migrations", READ, body.formatted("{\"AWAIT_FUNDS\":\"AWAIT_PAYMENT\"}"));
      HttpResponse<String> missing =
          post(port, "/migrations", OPERATOR, body.formatted("{\"AWAIT_FUNDS\":\"NOPE\"}"));
      HttpResponse<String> unmapped = post(port, "/migrations", OPERATOR, body.formatted("{}"));

      // then refused before anything is written, naming the states
      assertThat(reader.statusCode()).as(reader.body()).isEqualTo(403);
      assertThat(missing.statusCode()).as(missing.body()).isEqualTo(400);
      assertThat(missing.body()).contains("AWAIT_FUNDS: NOPE is not a state of payment@2");
      assertThat(unmapped.statusCode()).isEqualTo(400);
      assertThat(unmapped.body())
          .contains("states [AWAIT_FUNDS] of payment@1 are not in payment@2");
      assertThat(eventsEnd(d)).isEqualTo(before);

      // when the walkthrough of docs/operations.md runs as printed, while every session's
      // Funded event is sent
      Path map = dir.resolve("map.yaml");
      Files.writeString(map, DocBlocks.block("docs/operations.md", "migrate-map"));
      List<String> commands =
          DocBlocks.commands(DocBlocks.block("docs/operations.md", "migrate-to-v2"));
      assertThat(commands).hasSize(2);
      List<Cli.Run> runs = new ArrayList<>();
      Thread racing = null;
      for (String line : commands) {
        List<String> args = words(line);
        assertThat(args.get(0)).isEqualTo("statewarden");
        args.remove(0);
        args.replaceAll(a -> a.equals("map.yaml") ? map.toString() : a);
        args.addAll(
            List.of(
                "--url",
                "http://127.0.0.1:" + port,
                "--token-file",
                dir.resolve("operator").toString()));
        if (!args.contains("--dry-run")) {
          racing = new Thread(() -> sendAll(d, SESSIONS, "Funded", false));
          racing.start();
        }
        runs.add(Cli.main(args.toArray(String[]::new)));
        if (args.contains("--dry-run")) {
          // then the dry run printed where each session would land, and wrote nothing
          assertThat(eventsEnd(d)).isEqualTo(before);
        }
      }
      racing.join();

      // then
      Cli.Run dry = runs.get(0);
      assertThat(dry.exit()).as(dry.all()).isZero();
      assertThat(dry.out())
          .contains("dry run: " + SESSIONS + " sessions would migrate, 0 cannot be mapped")
          .containsPattern("p0 +AWAIT_FUNDS +AWAIT_PAYMENT");
      Cli.Run migrate = runs.get(1);
      assertThat(migrate.exit()).as(migrate.all()).isZero();
      migrate.assertNoStackTrace();
      assertThat(migrate.out()).contains("migration to-v2 done: ");
      assertThat(migrate.err()).contains("migrating [##############################] ");
      JsonNode done = progress(port, "to-v2");
      assertThat(done.get("done").asBoolean()).isTrue();
      assertThat(done.get("total").asLong()).isEqualTo(SESSIONS);

      // when the same migration is asked for again
      HttpResponse<String> again =
          post(
              port,
              "/migrations",
              OPERATOR,
              "{\"protocol\":\"payment\",\"from\":1,\"to\":2,\"reason\":\"again\",\"migrationId\":"
                  + "\"to-v2\",\"map\":{\"AWAIT_FUNDS\":\"AWAIT_PAYMENT\"}}");
      assertThat(again.statusCode()).as(again.body()).isEqualTo(202);

      // then every session took its Funded event once and was migrated exactly once, audited
      List<Transition> ts =
          Awaitility.await()
              .atMost(Duration.ofMinutes(3))
              .until(
                  () -> d.readAll(d.topics.transitions(), Transition.class),
                  l ->
                      l.stream().filter(t -> t.getEventId().endsWith("-Funded")).count()
                          >= SESSIONS);
      Map<String, Integer> migrated = migratedBy(ts, "to-v2");
      assertThat(migrated).hasSize(SESSIONS);
      assertThat(migrated.values()).containsOnly(1);
      Map<String, Transition> last = new HashMap<>();
      ts.forEach(t -> last.merge(t.getSessionId(), t, (a, b) -> a.getSeq() > b.getSeq() ? a : b));
      assertThat(last.values())
          .allSatisfy(
              t -> {
                assertThat(t.getProtocolVersion()).isEqualTo(2);
                assertThat(t.getTo()).isEqualTo("SETTLING");
              });
      List<AuditRecord> audits =
          d.readAll(d.topics.audit(), AuditRecord.class).stream()
              .filter(a -> Migration.TYPE.equals(a.getEventType()))
              .toList();
      assertThat(audits).hasSize(SESSIONS);
      assertThat(audits).extracting(AuditRecord::getDecision).containsOnly(Decision.ACCEPTED);
      assertThat(audits.get(0).getDetail())
          .contains("(migration to-v2) by ")
          .endsWith(": v2 takes over");

      // and a replay of the whole log gives the same outputs
      List<String> args = new ArrayList<>(List.of("replay"));
      d.settings()
          .forEach(
              (k, v) -> {
                args.add("-D");
                args.add(k + "=" + v);
              });
      args.addAll(List.of("--output-prefix", "r1.", "--verify"));
      StringWriter out = new StringWriter();
      int exit =
          TestAccess.commandLine()
              .setOut(new PrintWriter(out))
              .setErr(new PrintWriter(out))
              .execute(args.toArray(String[]::new));
      assertThat(out.toString()).contains("verify: identical");
      assertThat(exit).as(out.toString()).isZero();
    }
  }

  @Test
  void shouldMigrateEverySessionExactlyOnceWhenTheInstanceIsKilledMidMigration(KafkaInfra infra)
      throws Exception {
    // given an instance in its own JVM with 2,000 live sessions on v1
    int n = 2_000;
    Path protocols = protocols();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      secure(d, protocols);
      d.extra.put(StatewardenConfig.HTTP_PORT, String.valueOf(port));
      Process[] live = {ReplayIT.runJar(d)};
      try {
        awaitReady(port);
        sendAll(d, n, "Open", true);
        d.awaitAvro(d.topics.transitions(), Transition.class, n, Duration.ofMinutes(3));

        // when a migration of chunks of 20 starts, and the instance is killed half way
        HttpResponse<String> started =
            post(
                port,
                "/migrations",
                OPERATOR,
                "{\"protocol\":\"payment\",\"from\":1,\"to\":2,\"reason\":\"r\",\"migrationId\":"
                    + "\"kill\",\"chunkSize\":20,\"map\":{\"AWAIT_FUNDS\":\"AWAIT_PAYMENT\"}}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        Awaitility.await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> {
                  JsonNode p = progress(port, "kill");
                  return p != null && p.get("migrated").asLong() >= n / 4;
                });
        JsonNode atKill = progress(port, "kill");
        live[0].destroyForcibly().waitFor(); // kill -9
        assertThat(atKill.get("done").asBoolean()).as(atKill.toString()).isFalse();
        live[0] = ReplayIT.runJar(d);
        awaitReady(port);

        // then it resumes from the last committed chunk and finishes
        Awaitility.await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  JsonNode p = progress(port, "kill");
                  return p != null && p.get("done").asBoolean();
                });
        assertThat(progress(port, "kill").get("migrated").asLong()).isEqualTo(n);
        // the progress store is read through interactive queries, which see a chunk's writes
        // before its transaction commits: the last chunk's transitions may follow a moment later
        Map<String, Integer> migrated = new java.util.HashMap<>();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  migrated.clear();
                  migrated.putAll(
                      migratedBy(d.readAll(d.topics.transitions(), Transition.class), "kill"));
                  return migrated.size() >= n;
                });
        assertThat(migrated).hasSize(n);
        assertThat(migrated.values()).containsOnly(1);
      } finally {
        live[0].destroy();
        live[0].waitFor(60, TimeUnit.SECONDS);
      }
    }
  }

  void awaitReady(int port) {
    Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/health/ready"))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .statusCode()
                    == 200);
  }
}
