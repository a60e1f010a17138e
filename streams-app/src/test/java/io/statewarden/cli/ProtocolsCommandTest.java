package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.cli.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProtocolsCommandTest {
  @TempDir Path dir;

  /**
   * Through the real entry point and the real standard streams: a buffer handed to the command line
   * would see what the command printed even where the real command never flushed it.
   */
  static Run run(String... args) {
    return Cli.main(args).assertNoStackTrace();
  }

  @Test
  void shouldListBuiltinsWithVersions() {
    Run r = run("protocols", "list");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains(
            "coinswap-alice",
            "coinswap-carol",
            "consensus-round",
            "taleus-listener",
            "taleus-dialer",
            "v1");
  }

  @Test
  void shouldListExtraProtocolsFromDirectory() throws Exception {
    Files.writeString(
        dir.resolve("mine.yaml"),
        "protocol: mine\nversion: 3\ninitial: A\nstart: [Go]\nstates:\n  A: {final: COMPLETED}\n");
    Run r = run("protocols", "list", "--protocols", dir.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("mine").contains("v3");
  }

  @Test
  void shouldValidateGoodFilesAndBuiltinNames() throws Exception {
    Path good = dir.resolve("good.yaml");
    Files.writeString(
        good,
        "protocol: good\nversion: 1\ninitial: A\nstart: [Go]\nstates:\n  A: {final: COMPLETED}\n");
    Run r = run("protocols", "validate", good.toString(), "taleus-listener");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("good.yaml: ok");
  }

  @Test
  void shouldPrintOneLinePerProblemAndExitNonZero() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad,
        "protocol: bad\nversion: 0\ninitial: A\nstart: [Go]\nstates:\n  A: {on: {X: NOPE}, tiemout: 1}\n");
    Run r = run("protocols", "validate", bad.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err().lines())
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).startsWith(bad.toString()));
    assertThat(r.err())
        .contains(":2: version:")
        .contains(":6: states.A.tiemout: unknown key 'tiemout'");
  }

  @Test
  void shouldDrawMermaidDiagram() {
    Run r = run("protocols", "diagram", "taleus-listener");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .startsWith("stateDiagram-v2")
        .contains("[*] --> L_PROCESS_CONTACT: InboundContact")
        .contains(
            "L_SEND_RESPONSE --> L_AWAIT_DATABASE: ResponseSent [session.data.role == 'foil']")
        .contains("L_AWAIT_DATABASE --> L_TIMEOUT: timeout 10s")
        .contains("L_DONE --> [*]: COMPLETED");
  }

  @Test
  void shouldSimulateScenarioFromFile() throws Exception {
    Path scenario = dir.resolve("s.jsonl");
    Files.writeString(
        scenario,
        """
        {"eventId":"e1","sessionId":"s1","protocol":"taleus-listener","type":"InboundContact","timestamp":0}
        {"advanceTo": 6000}
        """);
    Run r = run("protocols", "simulate", "taleus-listener", "--events", scenario.toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out().lines()).hasSize(5);
    assertThat(r.out())
        .contains("\"kind\":\"backout\"")
        .contains("\"stalledState\":\"L_PROCESS_CONTACT\"");
  }

  @Test
  void shouldNameScenarioLineThatIsNotJson() throws Exception {
    Path scenario = dir.resolve("s.jsonl");
    Files.writeString(scenario, "{\"advanceTo\": 1}\n{nope\n");
    Run r = run("protocols", "simulate", "--events", scenario.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("s.jsonl:2: not JSON");
  }
}
