package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Command;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operator commands end to end on the real broker and registry (docs/decisions/0016): through the
 * HTTP API and the CLI, the operator token acts and the read token is refused 403 with nothing
 * written; a command sent twice applies once; "a guard bug hit sessions: fix, load v2, retry"; and
 * a replay of the log with its commands verifies identical.
 */
@ExtendWith(RealKafka.class)
class OperatorCommandIT {
  static final String READ = "read-token-1f3a9c";
  static final String OPERATOR = "operator-token-7b2e4d";

  static final String PROTOCOL =
      """
      protocol: ops-test
      version: %d
      initial: WAITING
      start: [Open]
      states:
        WAITING:
          timeout: {after: 1h, to: STALLED}
          on:
            Go: {to: DONE, if: "%s"}
        DONE: {final: COMPLETED}
        STALLED: {final: BACKED_OUT}
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

  HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String open(String session) {
    return "{\"eventId\":\""
        + session
        + "-open\",\"sessionId\":\""
        + session
        + "\",\"protocol\":\"ops-test\",\"protocolVersion\":1,\"type\":\"Open\",\"payload\":{}}";
  }

  List<AuditRecord> commandAudits(Deployment d) {
    return d.readAll(d.topics.audit(), AuditRecord.class).stream()
        .filter(a -> Command.TYPE.equals(a.getEventType()))
        .toList();
  }

  @Test
  void shouldActOnlyWithTheOperatorTokenApplyOnceAndReplayIdentically(KafkaInfra infra)
      throws Exception {
    // given ops-test v1, whose guard on Go reads a field no event has, and three waiting sessions
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(
        protocols.resolve("v1.yaml"), PROTOCOL.formatted(1, "event.payload.missing == 1"));
    Path readFile = Files.writeString(dir.resolve("read"), READ);
    Path operatorFile = Files.writeString(dir.resolve("operator"), OPERATOR + "\n");
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      d.extra.put(StatewardenConfig.HTTP_TOKEN, READ);
      d.extra.put(StatewardenConfig.HTTP_OPERATOR_TOKEN_FILE, operatorFile.toString());
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.start();
      long now = System.currentTimeMillis();
      for (String s : List.of("s0", "s1", "s2")) {
        d.sendJson(s, open(s), now);
      }
      d.awaitAvro(d.topics.transitions(), Transition.class, 3, Duration.ofSeconds(60));
      int port = d.app().httpPort();
      String body =
          "{\"reason\":\"counterparty gone\",\"operator\":\"alice\",\"commandId\":\"c1\"}";

      // when a reader and a stranger try to cancel s0
      HttpResponse<String> reader = post(port, "/sessions/s0/cancel", READ, body);
      HttpResponse<String> stranger = post(port, "/sessions/s0/cancel", null, body);
      Cli.Run readerCli =
          Cli.main(
              "session",
              "cancel",
              "s0",
              "--reason",
              "r",
              "--token-file",
              readFile.toString(),
              "--url",
              "http://127.0.0.1:" + port);

      // then refused, 403 and 401
      assertThat(reader.statusCode()).as(reader.body()).isEqualTo(403);
      assertThat(stranger.statusCode()).isEqualTo(401);
      assertThat(readerCli.exit()).as(readerCli.all()).isEqualTo(2);
      readerCli.assertNoStackTrace();
      // and the operator token reads too
      assertThat(get(port, "/sessions/s0", OPERATOR).statusCode()).isEqualTo(200);

      // when the operator cancels s1 twice with one command id, and s2 through the CLI
      HttpResponse<String> first = post(port, "/sessions/s1/cancel", OPERATOR, body);
      HttpResponse<String> again = post(port, "/sessions/s1/cancel", OPERATOR, body);
      Cli.Run cli =
          Cli.main(
              "session",
              "cancel",
              "s2",
              "--reason",
              "stuck",
              "--operator",
              "bob",
              "--token-file",
              operatorFile.toString(),
              "--url",
              "http://127.0.0.1:" + port);
      // and s0's Go fails on the broken guard
      d.sendJson(
          "s0",
          Deployment.json("s0", "s0-go", "ops-test", "Go", "{\"n\": 3}"),
          System.currentTimeMillis());

      // then
      assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
      assertThat(first.body()).contains("\"commandId\":\"c1\"");
      assertThat(again.statusCode()).isEqualTo(202);
      assertThat(cli.exit()).as(cli.all()).isEqualTo(0);
      List<Transition> ts =
          d.awaitAvro(d.topics.transitions(), Transition.class, 5, Duration.ofSeconds(60));
      assertThat(ts.stream().filter(t -> t.getTrigger() == Trigger.OPERATOR))
          .extracting(t -> t.getSessionId() + ">" + t.getTo())
          .containsExactlyInAnyOrder("s1>STALLED", "s2>STALLED");
      List<AuditRecord> commands = awaitAudits(d, 3);
      assertThat(commands)
          .extracting(a -> a.getSessionId() + ":" + a.getDecision())
          .as("nothing for s0: the refused requests wrote no record")
          .containsExactlyInAnyOrder("s1:ACCEPTED", "s1:DUPLICATE", "s2:ACCEPTED");
      assertThat(commands)
          .filteredOn(a -> a.getDecision() == Decision.ACCEPTED)
          .extracting(AuditRecord::getDetail)
          .containsExactlyInAnyOrder("cancel by alice: counterparty gone", "cancel by bob: stuck");
      assertThat(
              d.readAll(d.topics.audit(), AuditRecord.class).stream()
                  .filter(a -> a.getReason() == RejectReason.GUARD_ERROR))
          .singleElement()
          .satisfies(a -> assertThat(a.getSessionId()).isEqualTo("s0"));

      // when the guard is fixed in v2, loaded with v1, and s0 retried
      d.stop();
      Files.writeString(protocols.resolve("v2.yaml"), PROTOCOL.formatted(2, "event.payload.n > 0"));
      d.start();
      HttpResponse<String> retry =
          post(
              d.app().httpPort(),
              "/sessions/s0/retry",
              OPERATOR,
              "{\"reason\":\"guard fixed in v2\",\"commandId\":\"r1\"}");

      // then s0 takes its Go under v2
      assertThat(retry.statusCode()).as(retry.body()).isEqualTo(202);
      Transition done =
          d.awaitAvro(d.topics.transitions(), Transition.class, 6, Duration.ofSeconds(60)).stream()
              .filter(t -> t.getSessionId().equals("s0") && t.getSeq() == 2)
              .findFirst()
              .orElseThrow();
      assertThat(done.getTo()).isEqualTo("DONE");
      assertThat(done.getProtocolVersion()).isEqualTo(2);
      assertThat(done.getTrigger()).isEqualTo(Trigger.OPERATOR);
      awaitAudits(d, 4);

      // and a replay of the whole log, commands included, gives the same outputs
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

  List<AuditRecord> awaitAudits(Deployment d, int n) {
    return org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> commandAudits(d), l -> l.size() >= n);
  }
}
