package io.statewarden.deploy.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/compose.yaml} brought up as its header says, with the locally built images in place
 * of the public ones (IMAGE_* variables), a session sent through it, and {@code down -v} leaving no
 * container, volume or network behind. Runs with {@code docker-compose} (Debian's 1.29; {@code
 * -Dstatewarden.compose} names another command).
 */
@Tag("container")
@ExtendWith({ContainerEngine.class, ComposeIT.ComposeCommand.class})
class ComposeIT {
  static final String PROJECT = "statewarden-it";
  static final Duration WAIT = Duration.ofMinutes(3);
  static final String TOKEN = "compose-test-token-0123456789";

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
  static void images() throws IOException {
    ContainerEngine.require(composeMissing(), NEED_COMPOSE);
    TestImages.buildStatewarden();
    TestImages.build("kafka", "registry");
    ImageIT.readableFile(secrets.resolve("http_token"), TOKEN);
    ImageIT.readableFile(secrets.resolve("signing_key"), Deployment.SIGNING_KEY);
    ImageIT.readableFile(secrets.resolve("postgres_password"), "unused");
  }

  @AfterAll
  static void down() throws IOException {
    compose(Duration.ofMinutes(3), "down", "-v");
  }

  @Test
  void shouldRunASessionThroughComposeAndLeaveNothingAfterDown() throws Exception {
    Docker.Result up = compose(Duration.ofMinutes(8), "up", "-d", "--no-build");
    assertThat(up.exit()).as("compose up: %s", up.err()).isZero();

    HttpClient http = HttpClient.newHttpClient();
    awaitReady(http);
    assertThat(ImageIT.get(http, "http://127.0.0.1:8070/protocols", TOKEN).statusCode())
        .isEqualTo(200);

    // a session through compose's Kafka and registry, on the topics its `topics` service made
    KafkaInfra infra = new KafkaInfra("127.0.0.1:19092", "http://127.0.0.1:8080/apis/registry/v3");
    try (Deployment client = new Deployment(infra, secrets, 1)) {
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

    Docker.Result down = compose(Duration.ofMinutes(3), "down", "-v");
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

  private static void awaitReady(HttpClient http) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        if (ImageIT.get(http, "http://127.0.0.1:8070/health/ready", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "statewarden was not ready after "
                + WAIT
                + ":\n"
                + compose(Duration.ofMinutes(1), "logs", "--no-color").out());
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

  /**
   * {@code docker-compose -p statewarden-it -f deploy/compose.yaml <args>} with the test images.
   */
  static Docker.Result compose(Duration timeout, String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(List.of(composeCommand(), "-p", PROJECT, "-f", "deploy/compose.yaml"));
    cmd.addAll(List.of(args));
    return Docker.run(
        cmd,
        timeout,
        "IMAGE_KAFKA=" + TestImages.KAFKA,
        "IMAGE_REGISTRY=" + TestImages.REGISTRY,
        "IMAGE_STATEWARDEN=" + TestImages.STATEWARDEN,
        "SECRETS_DIR=" + secrets,
        // compose interpolates the connect service's ${POSTGRES_PASSWORD:?...} without its profile
        "POSTGRES_PASSWORD=unused");
  }
}
