package io.statewarden.deploy.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * statewarden's container image, built from the real {@code deploy/Dockerfile} (on the local JRE
 * base), run as users run it: as its unprivileged user on a read-only root file system, on the host
 * network against the test broker and registry.
 */
@Tag("container")
@ExtendWith({ContainerEngine.class, RealKafka.class})
class ImageIT {
  static final Duration WAIT = Duration.ofSeconds(120);
  static final String TOKEN = "image-test-token-0123456789";

  @TempDir Path dir;
  private String container;

  @BeforeAll
  static void buildImage() {
    TestImages.buildStatewarden();
    long size =
        Long.parseLong(Docker.ok("image", "inspect", "-f", "{{.Size}}", TestImages.STATEWARDEN));
    long base = Long.parseLong(Docker.ok("image", "inspect", "-f", "{{.Size}}", TestImages.JRE));
    System.out.printf(
        "[container tests] %s: %d MB (the JRE base %d MB, statewarden's layers %d MB)%n",
        TestImages.STATEWARDEN, size >> 20, base >> 20, (size - base) >> 20);
  }

  @AfterEach
  void removeContainer() {
    if (container != null) {
      Docker.ok("rm", "-f", "-v", container);
    }
  }

  @Test
  void shouldProcessASessionAsAnUnprivilegedUserOnAReadOnlyRootAndStopOnSigterm(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("unused"), 1)) {
      int port = freePort();
      Path secrets = Files.createDirectories(dir.resolve("secrets"));
      Path token = readableFile(secrets.resolve("http_token"), TOKEN);
      Path key = readableFile(secrets.resolve("signing_key"), Deployment.SIGNING_KEY);
      Map<String, String> env = new TreeMap<>();
      d.settings().forEach((k, v) -> env.put(variable(k), v));
      env.remove(variable("state.dir")); // the image's own, on its volume
      env.remove(variable(StatewardenConfig.SIGNING_KEY));
      env.put(variable(StatewardenConfig.SIGNING_KEY_FILE), "/run/secrets/signing_key");
      env.put(variable(StatewardenConfig.HTTP_TOKEN_FILE), "/run/secrets/http_token");
      env.put(variable(StatewardenConfig.HTTP_HOST), "127.0.0.1");
      env.put(variable(StatewardenConfig.HTTP_PORT), String.valueOf(port));

      List<String> run =
          new ArrayList<>(List.of("run", "-d", "--name", "statewarden-it-" + UUID.randomUUID()));
      run.addAll(List.of("--network", "host", "--read-only", "--tmpfs", "/tmp:rw,exec,size=64m"));
      run.addAll(List.of("--memory", "1g"));
      run.addAll(List.of("-v", token + ":/run/secrets/http_token:ro"));
      run.addAll(List.of("-v", key + ":/run/secrets/signing_key:ro"));
      env.forEach((n, v) -> run.addAll(List.of("-e", n + "=" + v)));
      run.add(TestImages.STATEWARDEN);
      container = Docker.ok(run.toArray(String[]::new));

      // ready: the stream threads run
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      awaitReady(http, base);

      // a session end to end: an event in, a transition out, then its 5 s deadline firing (a
      // timer record signed with the key from the secret file, read back and verified)
      long now = System.currentTimeMillis();
      d.sendJson(
          "image-1",
          Deployment.json("image-1", "e1", "taleus-listener", "InboundContact", "{}"),
          now);
      List<Transition> ts = d.awaitAvro(d.topics.transitions(), Transition.class, 2, WAIT);
      assertThat(ts)
          .extracting(t -> t.getSessionId() + " " + t.getTrigger() + " " + t.getTo())
          .containsExactly("image-1 EVENT L_PROCESS_CONTACT", "image-1 TIMEOUT L_TIMEOUT");

      // the token from the secret file guards the API; the health checks stay open
      assertThat(get(http, base + "/protocols", null).statusCode()).isEqualTo(401);
      assertThat(get(http, base + "/protocols", TOKEN).statusCode()).isEqualTo(200);

      // pid 1 is the JVM (exec form: it gets the signal), running as 10001
      String status = Docker.ok("exec", container, "cat", "/proc/1/status");
      assertThat(status).containsPattern("(?m)^Name:\\s+java$");
      assertThat(status).containsPattern("(?m)^Uid:\\s+10001\\s+10001\\s+10001\\s+10001$");
      Docker.Result write =
          Docker.exec(Duration.ofSeconds(30), "exec", container, "touch", "/opt/statewarden/probe");
      assertThat(write.exit()).isNotZero();
      assertThat(write.err()).contains("Read-only file system");

      // SIGTERM reaches the JVM (pid 1, exec form), whose shutdown hook closes Kafka Streams: it
      // ends with 128 + 15 well within the grace period. A signal that did not reach it (a shell
      // as pid 1) would end in the kill after the grace period: 137, after 45 s
      long stopping = System.nanoTime();
      Docker.ok("stop", "--time", "45", container);
      long stopMs = (System.nanoTime() - stopping) / 1_000_000;
      System.out.printf("[container tests] statewarden stopped in %d ms after SIGTERM%n", stopMs);
      assertThat(Docker.ok("inspect", "-f", "{{.State.ExitCode}}", container)).isEqualTo("143");
      assertThat(stopMs).isLessThan(30_000);
    }
  }

  private void awaitReady(HttpClient http, String base) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String state = Docker.ok("inspect", "-f", "{{.State.Status}}", container);
      if (!state.equals("running")) {
        throw new AssertionError("statewarden's container is " + state + ":\n" + logs());
      }
      try {
        if (get(http, base + "/health/ready", null).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > end) {
        throw new AssertionError("statewarden was not ready after " + WAIT + ":\n" + logs());
      }
      Thread.sleep(500);
    }
  }

  private String logs() throws IOException {
    Docker.Result r = Docker.exec(Duration.ofSeconds(30), "logs", container);
    return r.out() + r.err();
  }

  static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A file the container's user (10001) can read when it is mounted on its own. */
  static Path readableFile(Path file, String content) throws IOException {
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    return file;
  }

  /** The STATEWARDEN_* variable of a setting (the inverse of StatewardenConfig.fromEnvironment). */
  static String variable(String key) {
    String k = key.startsWith("statewarden.") ? key.substring("statewarden.".length()) : key;
    return "STATEWARDEN_" + k.toUpperCase(Locale.ROOT).replace("-", "__").replace('.', '_');
  }
}
