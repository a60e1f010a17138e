package io.statewarden.deploy.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.connectors.ConnectorConfig;
import io.statewarden.connectors.Environment;
import io.statewarden.connectors.OutputTopics;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/compose.yaml} brought up as its header says, profile {@code connectors} included,
 * with the locally built images in place of the public ones (IMAGE_* variables): a session sent
 * through it; the tables of docs/connectors.md made in its PostgreSQL and its connectors registered
 * on its Connect worker as that page tells users, an event inserted into the outbox arriving as
 * rows in the tables; and {@code down -v} leaving no container, volume or network behind. Runs with
 * {@code docker-compose} (Debian's 1.29; {@code -Dstatewarden.compose} names another command).
 */
@Tag("container")
@ExtendWith({ContainerEngine.class, ComposeIT.ComposeCommand.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeIT {
  static final String PROJECT = "statewarden-it";
  static final Duration WAIT = Duration.ofMinutes(3);
  static final String TOKEN = "compose-test-token-0123456789";
  static final String POSTGRES_PASSWORD = "compose-test-pg-0123456789";
  static final String CONNECT = "http://127.0.0.1:8083/";

  @TempDir static Path secrets;

  static final String NEED_COMPOSE = "The compose test needs docker-compose (.ci/run installs it)";

  /** Runs the class only where docker-compose runs (see {@link ContainerEngine}). */
  static final class ComposeCommand implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ContainerEngine.check(composeMissing(), NEED_COMPOSE);
    }
  }

  @BeforeAll
  static void up() throws Exception {
    ContainerEngine.require(composeMissing(), NEED_COMPOSE);
    TestImages.buildStatewarden();
    TestImages.build("kafka", "registry", "postgres", "connect");
    ImageIT.readableFile(secrets.resolve("http_token"), TOKEN);
    ImageIT.readableFile(secrets.resolve("signing_key"), Deployment.SIGNING_KEY);
    ImageIT.readableFile(secrets.resolve("postgres_password"), POSTGRES_PASSWORD);

    long started = System.nanoTime();
    Docker.Result up =
        compose(Duration.ofMinutes(8), "--profile", "connectors", "up", "-d", "--no-build");
    assertThat(up.exit()).as("compose up: %s", up.err()).isZero();
    await("statewarden ready", "http://127.0.0.1:8070/health/ready", r -> r.statusCode() == 200);
    System.out.printf(
        "[container tests] compose up, statewarden ready in %d s%n",
        (System.nanoTime() - started) / 1_000_000_000);
  }

  @AfterAll
  static void down() throws IOException {
    compose(Duration.ofMinutes(3), "--profile", "connectors", "down", "-v");
  }

  @Test
  @Order(1)
  void shouldRunASessionThroughCompose() throws Exception {
    assertThat(ImageIT.get(HTTP, "http://127.0.0.1:8070/protocols", TOKEN).statusCode())
        .isEqualTo(200);

    // a session through compose's Kafka and registry, on the topics its `topics` service made
    try (Deployment client = client()) {
      String event = Deployment.json("compose-1", "c1", "taleus-listener", "InboundContact", "{}");
      client.sendRaw(
          "statewarden.events.json",
          "compose-1",
          event.getBytes(StandardCharsets.UTF_8),
          System.currentTimeMillis());
      List<Transition> ts =
          client.awaitAvro("statewarden.transitions", Transition.class, 2, Duration.ofSeconds(90));
      assertThat(ts)
          .extracting(t -> t.getSessionId() + " " + t.getTrigger() + " " + t.getTo())
          .containsExactly("compose-1 EVENT L_PROCESS_CONTACT", "compose-1 TIMEOUT L_TIMEOUT");
    }
  }

  /**
   * docs/connectors.md on compose: the databases, users and tables of its "Databases" section, the
   * five connector files PUT to the worker with compose's host names, and an event inserted into
   * the outbox coming out as transition, session, backout and audit rows.
   */
  @Test
  @Order(2)
  void shouldCarryAnOutboxEventThroughTheConnectorsIntoTheTables() throws Exception {
    long started = System.nanoTime();
    psql(
        "postgres",
        "CREATE DATABASE statewarden;\n"
            + "CREATE DATABASE orders;\n"
            + ("CREATE ROLE statewarden_cdc LOGIN REPLICATION PASSWORD '%s';\n"
                    + "CREATE ROLE statewarden_sink LOGIN PASSWORD '%s';\n")
                .formatted(POSTGRES_PASSWORD, POSTGRES_PASSWORD));
    psql("orders", Files.readString(Docker.ROOT.resolve("connectors/sql/outbox.sql")));
    psql(
        "orders",
        "ALTER TABLE statewarden_outbox OWNER TO statewarden_cdc;\n"
            + "GRANT CREATE ON DATABASE orders TO statewarden_cdc;\n");
    psql("statewarden", Files.readString(Docker.ROOT.resolve("connectors/sql/sink-tables.sql")));
    psql(
        "statewarden",
        "GRANT SELECT, INSERT, UPDATE ON session_transitions, sessions, session_backouts,"
            + " session_audit TO statewarden_sink;\n");

    await("the Connect worker's REST API", CONNECT, r -> r.statusCode() == 200);
    System.out.printf(
        "[container tests] PostgreSQL set up, Connect ready in %d s%n",
        (System.nanoTime() - started) / 1_000_000_000);
    // the values docs/connectors.md says to edit, for compose's network
    Environment compose =
        new Environment(
            "jdbc:postgresql://postgres:5432/statewarden",
            "statewarden_sink",
            "postgres",
            5432,
            "orders",
            "statewarden_cdc",
            "http://registry:8080/apis/registry/v2",
            OutputTopics.DEFAULTS,
            "statewarden_outbox");
    List<ConnectorConfig> connectors =
        ConnectorConfig.readAll(Docker.ROOT.resolve("connectors/config")).stream()
            .map(compose::apply)
            .toList();
    assertThat(connectors).hasSize(5);
    for (ConnectorConfig c : connectors) {
      HttpResponse<String> put =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(CONNECT + "connectors/" + c.name() + "/config"))
                  .header("Content-Type", "application/json")
                  .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(c.config())))
                  .timeout(Duration.ofSeconds(60))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as("PUT %s: %s", c.name(), put.body()).isIn(200, 201);
    }
    for (ConnectorConfig c : connectors) {
      await(
          c.name() + " running with its task",
          CONNECT + "connectors/" + c.name() + "/status",
          r -> r.statusCode() == 200 && running(r.body()));
    }

    // a service's transaction: its own change and the protocol event, committed together
    String event =
        Deployment.json("compose-outbox-1", "co1", "taleus-listener", "InboundContact", "{}");
    psql(
        "orders",
        "BEGIN;\nINSERT INTO statewarden_outbox (session_id, protocol, event) VALUES"
            + " ('compose-outbox-1', 'taleus-listener', '"
            + event
            + "');\nCOMMIT;\n");

    // through the outbox source, statewarden (a 5 s hook timeout backs the session out) and the
    // four sinks
    awaitRows(
        "statewarden",
        "SELECT seq, trigger, to_state, event_id FROM session_transitions"
            + " WHERE session_id = 'compose-outbox-1' ORDER BY seq",
        "1|EVENT|L_PROCESS_CONTACT|co1",
        "2|TIMEOUT|L_TIMEOUT|");
    awaitRows(
        "statewarden",
        "SELECT state, is_final, outcome FROM sessions WHERE session_id = 'compose-outbox-1'",
        "L_TIMEOUT|t|BACKED_OUT");
    awaitRows(
        "statewarden",
        "SELECT stalled_state FROM session_backouts WHERE session_id = 'compose-outbox-1'",
        "L_PROCESS_CONTACT");
    awaitRows(
        "statewarden",
        "SELECT event_id, decision, state_after FROM session_audit"
            + " WHERE session_id = 'compose-outbox-1' AND event_id IS NOT NULL",
        "co1|ACCEPTED|L_PROCESS_CONTACT");
    System.out.printf(
        "[container tests] outbox to tables through compose in %d s%n",
        (System.nanoTime() - started) / 1_000_000_000);
  }

  @Test
  @Order(3)
  void shouldLeaveNothingAfterDown() throws Exception {
    Docker.Result down = compose(Duration.ofMinutes(3), "--profile", "connectors", "down", "-v");
    assertThat(down.exit()).as("compose down: %s", down.err()).isZero();
    assertThat(
            Docker.ok("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=" + PROJECT))
        .as("containers left")
        .isEmpty();
    assertThat(Docker.ok("volume", "ls", "-q", "--filter", "name=" + PROJECT + "_"))
        .as("volumes left")
        .isEmpty();
    assertThat(Docker.ok("network", "ls", "-q", "--filter", "name=" + PROJECT + "_"))
        .as("networks left")
        .isEmpty();
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Whether a connector's status says it and each of its tasks (at least one) run. */
  private static boolean running(String status) {
    try {
      JsonNode s = JSON.readTree(status);
      JsonNode tasks = s.path("tasks");
      boolean tasksRunning = tasks.size() > 0;
      for (JsonNode t : tasks) {
        tasksRunning &= "RUNNING".equals(t.path("state").asText());
      }
      return "RUNNING".equals(s.path("connector").path("state").asText()) && tasksRunning;
    } catch (IOException e) {
      return false;
    }
  }

  private static Deployment client() {
    KafkaInfra infra = new KafkaInfra("127.0.0.1:19092", "http://127.0.0.1:8080/apis/registry/v3");
    return new Deployment(infra, secrets, 1);
  }

  /** Runs SQL with psql in compose's postgres container, as the superuser; fails on an error. */
  private static String psql(String database, String sql) throws IOException {
    List<String> cmd = new ArrayList<>(composeArgs());
    cmd.addAll(
        List.of(
            "exec",
            "-T",
            "postgres",
            "psql",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-U",
            "postgres",
            "-d",
            database));
    Docker.Result r = Docker.runWithInput(cmd, Duration.ofMinutes(2), sql, composeEnv());
    assertThat(r.exit()).as("psql -d %s: %s%n%s", database, r.err(), sql).isZero();
    return r.out().strip();
  }

  /** Waits until the query answers exactly these rows ({@code psql -At}: columns split by |). */
  private static void awaitRows(String database, String query, String... rows) throws Exception {
    String expected = String.join("\n", rows);
    long end = System.nanoTime() + WAIT.toNanos();
    String last = psql(database, query);
    while (!last.equals(expected)) {
      if (System.nanoTime() > end) {
        assertThat(last)
            .as(
                "%s after %s; connectors: %s",
                query, WAIT, ImageIT.get(HTTP, CONNECT + "connectors?expand=status", null).body())
            .isEqualTo(expected);
      }
      Thread.sleep(2000);
      last = psql(database, query);
    }
  }

  /** Waits until a GET of {@code url} answers as {@code done} says; fails with compose's logs. */
  private static void await(String what, String url, Predicate<HttpResponse<String>> done)
      throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    String last = "no answer";
    while (true) {
      try {
        HttpResponse<String> r = ImageIT.get(HTTP, url, null);
        if (done.test(r)) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > end) {
        throw new AssertionError(
            what
                + ": not after "
                + WAIT
                + " (last answer: "
                + last
                + "):\n"
                + compose(Duration.ofMinutes(1), "--profile", "connectors", "logs", "--no-color")
                    .out());
      }
      Thread.sleep(1000);
    }
  }

  static String composeCommand() {
    return System.getProperty("statewarden.compose", "docker-compose");
  }

  static Optional<String> composeMissing() {
    try {
      Docker.Result r = Docker.run(List.of(composeCommand(), "version"), Duration.ofSeconds(60));
      return r.ok()
          ? Optional.empty()
          : Optional.of("`" + composeCommand() + " version` failed: " + r.err());
    } catch (IOException e) {
      return Optional.of("`" + composeCommand() + "` cannot be run (" + e.getMessage() + ")");
    }
  }

  private static List<String> composeArgs() {
    return List.of(composeCommand(), "-p", PROJECT, "-f", "deploy/compose.yaml");
  }

  private static String[] composeEnv() {
    return new String[] {
      "IMAGE_KAFKA=" + TestImages.KAFKA,
      "IMAGE_REGISTRY=" + TestImages.REGISTRY,
      "IMAGE_STATEWARDEN=" + TestImages.STATEWARDEN,
      "IMAGE_POSTGRES=" + TestImages.POSTGRES,
      "IMAGE_CONNECT=" + TestImages.CONNECT,
      "SECRETS_DIR=" + secrets,
      // compose.yaml's header: the same password as the postgres_password secret
      "POSTGRES_PASSWORD=" + POSTGRES_PASSWORD
    };
  }

  /**
   * {@code docker-compose -p statewarden-it -f deploy/compose.yaml <args>} with the test images.
   */
  static Docker.Result compose(Duration timeout, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(composeArgs());
    cmd.addAll(List.of(args));
    return Docker.run(cmd, timeout, composeEnv());
  }
}
