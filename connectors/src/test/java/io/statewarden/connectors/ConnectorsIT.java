package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbox in, tables out: services' events inserted into an outbox table in PostgreSQL become
 * transitions, backouts and audit rows in PostgreSQL tables, through a real Connect worker
 * (Debezium PostgreSQL source with the outbox router, Debezium JDBC sinks with the Apicurio Avro
 * converter), a real broker and registry, a running statewarden, and a real PostgreSQL server. One
 * of each serves the whole class; each test uses its own session ids.
 */
@ExtendWith(RealKafka.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectorsIT {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectorsIT.class);
  static final Duration WAIT = Duration.ofSeconds(90);
  static final String L = "taleus-listener";
  static final String OUTBOX_DB = "orders";
  static final String SINK_DB = "statewarden";
  static final String SINK_USER = "statewarden_sink";
  static final String SINK_PASSWORD = "sink-" + java.util.UUID.randomUUID();
  static final Duration RETENTION = Duration.ofSeconds(3);

  LocalPostgres postgres;
  String groupId;
  Deployment statewarden;
  List<String> workerArgs;
  WorkerProcess worker;
  Path workerLog;
  List<String> connectors;

  /** Each sink connector's topic. */
  Map<String, String> sinkTopics;

  Outbox outbox;
  SinkTables tables;
  KafkaInfra infra;
  Mirror mirror;

  @BeforeAll
  void start(KafkaInfra infra, @TempDir Path dir) throws Exception {
    this.infra = infra;
    postgres = LocalPostgres.start();
    postgres.createDatabase(OUTBOX_DB);
    postgres.createDatabase(SINK_DB);
    postgres.runScript(OUTBOX_DB, ItPaths.sql().resolve("outbox.sql"));
    postgres.runScript(SINK_DB, ItPaths.sql().resolve("sink-tables.sql"));
    // the sinks log in as a user that must give its password (SCRAM over TCP), with the grants
    // docs/connectors.md gives it: the worker can only do so by resolving the connector configs'
    // ${env:STATEWARDEN_SINK_PASSWORD} from its own environment
    postgres.createPasswordRole(SINK_USER, SINK_PASSWORD);
    postgres.execute(
        SINK_DB,
        "GRANT SELECT, INSERT, UPDATE ON session_transitions, sessions, session_backouts,"
            + " session_audit TO "
            + SINK_USER);
    outbox = new Outbox(postgres, OUTBOX_DB);
    tables = new SinkTables(postgres, SINK_DB, ItPaths.sql().resolve("auditor-queries.sql"));

    statewarden = new Deployment(infra, dir.resolve("state"), 2);
    // final sessions are purged soon, so that a test can reuse a session id
    statewarden.extra.put(StatewardenConfig.RETENTION_MS, String.valueOf(RETENTION.toMillis()));
    statewarden.start();
    mirror = new Mirror(new TopicReader(infra), statewarden.topics, tables, WAIT);

    String id = infra.uniqueName("connect");
    groupId = id;
    workerArgs =
        List.of(
            "--bootstrap=" + infra.bootstrapServers(),
            "--registry=" + infra.registryUrl(),
            "--group-id=" + id,
            "--offset-flush-ms=1000",
            "--configs=" + ItPaths.configs(),
            "--name-prefix=" + id + "-",
            "--sink-jdbc-url=" + postgres.jdbcUrl(SINK_DB),
            "--sink-user=" + SINK_USER,
            "--outbox-port=" + postgres.port(),
            "--outbox-db=" + OUTBOX_DB,
            "--outbox-user=" + LocalPostgres.SUPERUSER,
            "--slot=sw_" + id.replace('-', '_'),
            "--events-json-topic=" + statewarden.topics.eventsJson(),
            "--transitions-topic=" + statewarden.topics.transitions(),
            "--backouts-topic=" + statewarden.topics.backouts(),
            "--audit-topic=" + statewarden.topics.audit());
    connectors =
        ConnectorConfig.readAll(ItPaths.configs()).stream().map(c -> id + "-" + c.name()).toList();
    sinkTopics =
        ConnectorConfig.readAll(ItPaths.configs()).stream()
            .filter(c -> c.config().containsKey("topics"))
            .collect(Collectors.toMap(c -> id + "-" + c.name(), c -> deployed(c.get("topics"))));
    workerLog = dir.resolve("connect.log");
    startWorker();
  }

  private void startWorker() {
    worker =
        WorkerProcess.start(
            workerArgs,
            Map.of("STATEWARDEN_SINK_PASSWORD", SINK_PASSWORD, "STATEWARDEN_OUTBOX_PASSWORD", ""),
            workerLog);
    for (String name : connectors) {
      try {
        Awaitility.await()
            .atMost(WAIT)
            .pollInterval(Duration.ofMillis(500))
            .until(() -> worker.rest().status(name) != null);
        worker.rest().awaitRunning(name);
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError(e.getMessage() + "\nworker log:\n" + worker.logTail(), e);
      }
    }
  }

  @AfterAll
  void stop() {
    if (worker != null) {
      worker.close();
    }
    if (statewarden != null) {
      statewarden.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void shouldTurnOutboxEventsIntoTransitionBackoutAndAuditRowsMatchingTheTopics() throws Exception {
    // given: a session that completes (over two transactions), one with a rejected event, one
    // that stalls and is backed out by its 5 s deadline
    outbox.commit(
        List.of(
            event("e2e-done", "d1", "InboundContact", "{}"),
            event("e2e-done", "d2", "HooksComplete", "{\"role\":\"foil\"}")));
    outbox.commit(
        List.of(
            event("e2e-done", "d3", "ResponseSent", "{}"),
            event("e2e-done", "d4", "DatabaseResult", "{}"),
            event("e2e-rej", "r1", "InboundContact", "{}"),
            event("e2e-rej", "r2", "Nope", "{}")));
    outbox.commit(List.of(event("e2e-stall", "s1", "InboundContact", "{}")));

    // then: once both stalled sessions are backed out, the tables hold what the topics hold
    Predicate<String> mine = s -> s.startsWith("e2e-");
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> mirror.backoutKeys(mine).size() == 2);
    mirror.awaitMatch(mine);
    assertThat(
            tables.query(
                "SELECT session_id, reason FROM session_backouts"
                    + " WHERE session_id LIKE 'e2e-%' ORDER BY session_id"))
        .extracting(r -> r.get("session_id") + ":" + r.get("reason"))
        .containsExactly("e2e-rej:TIMEOUT", "e2e-stall:TIMEOUT");
    assertThat(
            tables.query(
                "SELECT session_id, state, is_final, seq FROM sessions"
                    + " WHERE session_id LIKE 'e2e-%' ORDER BY session_id"))
        .extracting(r -> r.get("session_id") + ":" + r.get("state") + ":" + r.get("seq"))
        .containsExactly("e2e-done:L_DONE:4", "e2e-rej:L_TIMEOUT:2", "e2e-stall:L_TIMEOUT:2");
    assertThat(tables.named("path-of-session", "e2e-done"))
        .extracting(r -> r.get("from_state") + ">" + r.get("to_state") + ":" + r.get("event_id"))
        .containsExactly(
            "null>L_PROCESS_CONTACT:d1",
            "L_PROCESS_CONTACT>L_SEND_RESPONSE:d2",
            "L_SEND_RESPONSE>L_AWAIT_DATABASE:d3",
            "L_AWAIT_DATABASE>L_DONE:d4");
    // the session data as JSON, the states visited as an array
    assertThat(
            tables.query(
                "SELECT data->>'role' AS role FROM session_transitions"
                    + " WHERE session_id = 'e2e-done' AND seq = 4"))
        .extracting(r -> r.get("role"))
        .containsExactly("foil");
    assertThat(
            tables.query(
                "SELECT array_to_string(history, ',') AS h FROM session_backouts"
                    + " WHERE session_id = 'e2e-stall'"))
        .extracting(r -> r.get("h"))
        .containsExactly("L_PROCESS_CONTACT,L_TIMEOUT");
  }

  @Test
  void shouldPublishNothingForARolledBackOutboxTransaction() throws Exception {
    outbox.rollBack(List.of(event("rb-undone", "u1", "InboundContact", "{}")));
    outbox.commit(List.of(event("rb-marker", "m1", "InboundContact", "{}")));

    // once the later, committed event is audited, the rolled-back one would have been too
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                !tables
                    .query("SELECT 1 FROM session_audit WHERE session_id = 'rb-marker'")
                    .isEmpty());
    assertThat(mirror.audits(s -> s.startsWith("rb-")))
        .extracting(AuditRecord::getSessionId)
        .containsExactly("rb-marker");
    assertThat(tables.query("SELECT session_id FROM session_audit WHERE session_id LIKE 'rb-%'"))
        .extracting(r -> r.get("session_id"))
        .containsExactly("rb-marker");
    assertThat(tables.query("SELECT 1 FROM session_transitions WHERE session_id = 'rb-undone'"))
        .isEmpty();
  }

  @Test
  void shouldLeaveNoDuplicateRowsWhenTheWorkerRestartsAndEverythingIsRedelivered()
      throws Exception {
    Predicate<String> mine = s -> s.startsWith("redo-");
    // sessions that complete within their own transaction: no deadline fires however long the
    // worker is away
    for (int i = 0; i < 6; i++) {
      outbox.commit(completeSession("redo-" + i));
    }
    // mid-stream: some rows are in, the worker crashes
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                !tables
                    .query("SELECT 1 FROM session_transitions WHERE session_id LIKE 'redo-%'")
                    .isEmpty());
    worker.kill();
    // every sink connector reads its topic again from the start when it comes back
    SinkRewind.rewind(infra.bootstrapServers(), sinkTopics, WAIT);
    for (int i = 6; i < 12; i++) {
      outbox.commit(completeSession("redo-" + i));
    }
    startWorker();

    // a restarted worker scans its plugins and the outbox source resumes its replication slot
    // before anything flows. The source may also deliver the first six sessions' events again (it
    // was killed before flushing its offsets, or not: a race this test does not force). Within
    // this class's 3 s retention they are DUPLICATEs; after it, the purged id starts a new
    // incarnation that completes too. Either way no row may be duplicated: each incarnation has
    // its four transition rows, and every session id has reached L_DONE.
    Awaitility.await()
        .atMost(WAIT.multipliedBy(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                mirror.transitionKeys(mine).stream()
                        .filter(t -> t.contains("|L_DONE|"))
                        .map(t -> t.substring(0, t.indexOf('|')))
                        .distinct()
                        .count()
                    == 12);
    mirror.awaitMatch(mine);
    LOG.info(
        "redo: {} incarnations of 12 sessions after the restart",
        mirror.transitionKeys(mine).stream().filter(t -> t.contains("|L_DONE|")).count());
    assertThat(
            tables.query(
                "SELECT session_id, incarnation, count(*) AS n FROM session_transitions"
                    + " WHERE session_id LIKE 'redo-%' GROUP BY session_id, incarnation"
                    + " HAVING count(*) <> 4"))
        .isEmpty();
    assertThat(
            tables.query(
                "SELECT input_topic, input_partition, input_offset FROM session_audit"
                    + " WHERE session_id LIKE 'redo-%' AND input_offset IS NOT NULL"
                    + " GROUP BY 1, 2, 3 HAVING count(*) > 1"))
        .isEmpty();
    assertThat(tables.query("SELECT state FROM sessions WHERE session_id LIKE 'redo-%'"))
        .hasSize(12)
        .extracting(r -> r.get("state"))
        .containsOnly("L_DONE");
  }

  static List<Outbox.Event> completeSession(String s) {
    return List.of(
        event(s, s + "a", "InboundContact", "{}"),
        event(s, s + "b", "HooksComplete", "{\"role\":\"foil\"}"),
        event(s, s + "c", "ResponseSent", "{}"),
        event(s, s + "d", "DatabaseResult", "{}"));
  }

  @Test
  void shouldAnswerTheAuditorsQueryForOneSessionInOrderWithReasons() throws Exception {
    outbox.commit(List.of(event("audit-1", "a1", "InboundContact", "{}")));
    outbox.commit(List.of(event("audit-1", "a2", "Nope", "{}")));
    outbox.commit(
        List.of(
            event("audit-1", "a3", "HooksComplete", "{\"role\":\"foil\"}"),
            event("audit-1", "a1", "InboundContact", "{}")));

    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> tables.named("decisions-for-session", "audit-1").size() >= 4);
    List<Map<String, Object>> rows = tables.named("decisions-for-session", "audit-1");
    rows.forEach(r -> LOG.info("decisions-for-session audit-1: {}", r));
    assertThat(rows)
        .extracting(r -> r.get("event_id") + ":" + r.get("decision") + ":" + r.get("reason"))
        .containsExactly(
            "a1:ACCEPTED:null",
            "a2:REJECTED:INVALID_TRANSITION",
            "a3:ACCEPTED:null",
            "a1:DUPLICATE:null");
    assertThat((String) rows.get(1).get("detail")).contains("Nope");
    assertThat(rows.get(2).get("state_after")).isEqualTo(rows.get(3).get("state_before"));
    assertThat(tables.named("path-of-session", "audit-1"))
        .extracting(r -> r.get("seq") + ":" + r.get("to_state"))
        .isNotEmpty();
  }

  @Test
  void shouldResolveThePasswordInTheWorkerAndNeverStoreOrReturnIt() throws Exception {
    // given: the sinks write (they logged in with the password: the tests above see their rows)
    outbox.commit(List.of(event("pw-1", "p1", "InboundContact", "{}")));
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                !tables
                    .query("SELECT 1 FROM session_transitions WHERE session_id = 'pw-1'")
                    .isEmpty());

    // then: Connect's REST API returns the reference, not the password
    for (String name : sinkTopics.keySet()) {
      var config = worker.rest().config(name);
      assertThat(config.path("connection.password").asText())
          .isEqualTo("${env:STATEWARDEN_SINK_PASSWORD}");
      assertThat(config.toString()).doesNotContain(SINK_PASSWORD);
    }
    // and its config topic never held it
    List<String> stored =
        statewarden.awaitRaw(groupId + ".configs", connectors.size(), WAIT).stream()
            .filter(r -> r.value() != null)
            .map(r -> new String(r.value(), StandardCharsets.UTF_8))
            .toList();
    assertThat(stored).anyMatch(v -> v.contains("${env:STATEWARDEN_SINK_PASSWORD}"));
    assertThat(stored).noneMatch(v -> v.contains(SINK_PASSWORD));
  }

  @Test
  void shouldKeepEachIncarnationOfAReusedSessionIdInRowsOfItsOwn() throws Exception {
    Predicate<String> mine = "reuse-1"::equals;
    // given: a session that stalls, is backed out by its 5 s deadline, and purged
    outbox.commit(List.of(event("reuse-1", "i1", "InboundContact", "{}")));
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> mirror.backoutKeys(mine).size() == 1);
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(() -> sessionStatus("reuse-1") == 404);

    // when: the id is used again, and that session stalls too
    outbox.commit(List.of(event("reuse-1", "i2", "InboundContact", "{}")));

    // then: both lives keep their rows (seq 1 and 2 each), each under its own incarnation
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> mirror.backoutKeys(mine).size() == 2);
    mirror.awaitMatch(mine);
    List<Map<String, Object>> path = tables.named("path-of-session", "reuse-1");
    assertThat(path)
        .extracting(r -> r.get("seq") + ":" + r.get("to_state") + ":" + r.get("event_id"))
        .containsExactly(
            "1:L_PROCESS_CONTACT:i1",
            "2:L_TIMEOUT:null",
            "1:L_PROCESS_CONTACT:i2",
            "2:L_TIMEOUT:null");
    String first = (String) path.get(0).get("incarnation");
    String second = (String) path.get(2).get("incarnation");
    assertThat(first).endsWith("/i1");
    assertThat(second).endsWith("/i2");
    assertThat(path.get(1).get("incarnation")).isEqualTo(first);
    assertThat(path.get(3).get("incarnation")).isEqualTo(second);
    assertThat(
            tables.query(
                "SELECT incarnation, stalled_state FROM session_backouts"
                    + " WHERE session_id = 'reuse-1' ORDER BY at"))
        .extracting(r -> r.get("incarnation") + ":" + r.get("stalled_state"))
        .containsExactly(first + ":L_PROCESS_CONTACT", second + ":L_PROCESS_CONTACT");
    assertThat(tables.query("SELECT incarnation FROM sessions WHERE session_id = 'reuse-1'"))
        .extracting(r -> r.get("incarnation"))
        .containsExactly(second);
  }

  /** The status code of GET /sessions/{id} on the statewarden instance. */
  private int sessionStatus(String id) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + statewarden.app().httpPort() + "/sessions/" + id))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  // ---------------------------------------------------------------------------------------------

  static Outbox.Event event(String session, String id, String type, String payload) {
    return new Outbox.Event(session, id, L, type, payload);
  }

  /** This deployment's name of a default output topic. */
  private String deployed(String defaultTopic) {
    return switch (defaultTopic) {
      case "statewarden.transitions" -> statewarden.topics.transitions();
      case "statewarden.backouts" -> statewarden.topics.backouts();
      case "statewarden.audit" -> statewarden.topics.audit();
      default -> throw new IllegalArgumentException(defaultTopic);
    };
  }
}
