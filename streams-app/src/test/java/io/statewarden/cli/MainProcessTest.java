package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.cli.Cli.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in a JVM of its own, as {@code java -jar statewarden.jar} runs it: its real stdout,
 * stderr and exit status, with nothing of the test's in between. A few commands only (each costs a
 * JVM start); {@link CommandsTest} covers them all in process.
 */
class MainProcessTest {
  @TempDir Path dir;

  Run java(String... args) throws Exception {
    return java(Map.of(), args);
  }

  Run java(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("STATEWARDEN_"));
    pb.environment().putAll(env);
    Process p =
        pb.redirectInput(Files.writeString(dir.resolve("in.txt"), "").toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("statewarden " + String.join(" ", args) + " did not end");
    }
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void shouldPrintTheDiagramOnTheRealStdout() throws Exception {
    Run r = java("protocols", "diagram", "taleus-listener").assertNoStackTrace();

    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .startsWith("stateDiagram-v2\n")
        .contains("[*] --> L_PROCESS_CONTACT: InboundContact")
        .endsWith("\n");
  }

  @Test
  void shouldExitTwoWithAMessageForAScenarioLineWithoutTimestamp() throws Exception {
    Path s =
        Files.writeString(
            dir.resolve("s.jsonl"),
            "{\"eventId\":\"e1\",\"sessionId\":\"s1\",\"protocol\":\"taleus-listener\","
                + "\"type\":\"InboundContact\"}\n");

    Run r = java("protocols", "simulate", "--events", s.toString()).assertNoStackTrace();

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            s + ":1: missing field 'timestamp' (the record timestamp: epoch millis or ISO-8601)\n");
  }

  @Test
  void shouldRefuseAMisspeltVariableNamingTheOneMeant() throws Exception {
    // given a variable one letter short of STATEWARDEN_BOOTSTRAP_SERVERS
    Map<String, String> env =
        Map.of(
            "STATEWARDEN_BOOTSTRAP_SERVER", "127.0.0.1:1",
            "STATEWARDEN_APICURIO_REGISTRY_URL", "http://127.0.0.1:1/apis/registry/v3");

    // when
    Run r = java(env, "run").assertNoStackTrace();

    // then it is named before anything connects
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .isEqualTo(
            "statewarden: environment variable STATEWARDEN_BOOTSTRAP_SERVER stands for no known"
                + " setting; did you mean STATEWARDEN_BOOTSTRAP_SERVERS (bootstrap.servers)?\n");
  }

  @Test
  void shouldRefuseToServeHttpBeyondLoopbackWithoutATokenAsTheImageWouldStart() throws Exception {
    // given the image's own setting (deploy/Dockerfile) and nothing else about HTTP
    Map<String, String> env =
        Map.of(
            "STATEWARDEN_HTTP_HOST", "0.0.0.0",
            "STATEWARDEN_HTTP_PORT", "0",
            "STATEWARDEN_BOOTSTRAP_SERVERS", "127.0.0.1:1",
            "STATEWARDEN_APICURIO_REGISTRY_URL", "http://127.0.0.1:1/apis/registry/v3",
            "STATEWARDEN_SIGNING_KEY", "test-signing-key-0123456789abcdef0123456789");

    // when
    Run r = java(env, "run").assertNoStackTrace();

    // then it says so in one line and exits 1, before connecting to anything
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("statewarden: the HTTP API would serve sessions and metrics on 0.0.0.0")
        .contains("statewarden.http.allow-anonymous=true");
    assertThat(r.err().lines()).hasSize(1);
  }
}
