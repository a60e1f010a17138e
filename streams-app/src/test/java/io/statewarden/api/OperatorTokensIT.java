package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.cli.Cli;
import io.statewarden.cli.Main;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Command;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Personal operator tokens (docs/decisions/0019) through the real HTTP server, broker and registry:
 * a command sent with alice's token is audited as alice's, whatever name the body gives; the read
 * token gets 403 and an unknown token 401, and neither writes anything.
 */
@ExtendWith(RealKafka.class)
class OperatorTokensIT {
  static final String READ = "read-token-5d1e0c7a";
  static final String ALICE = "alice-token-0c4f9e2b71";
  static final String BOB = "bob-token-8a3d6f1c95e";

  @TempDir Path dir;

  HttpResponse<String> post(int port, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldAuditTheCommandUnderTheTokensOperatorAndRefuseOtherTokens(KafkaInfra infra)
      throws Exception {
    // given personal tokens for alice and bob (no shared operator token), and two live sessions
    Path tokens =
        Files.writeString(
            dir.resolve("operators"), "# who may act\nalice:" + ALICE + "\nbob: " + BOB + "\n");
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(
        protocols.resolve("hold.yaml"),
        """
        protocol: hold
        version: 1
        initial: WAITING
        start: [Open]
        states:
          WAITING:
            timeout: {after: 1h, to: STALLED}
            on:
              Go: DONE
          DONE: {final: COMPLETED}
          STALLED: {final: BACKED_OUT}
        """);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put(StatewardenConfig.HTTP_TOKEN, READ);
      d.extra.put(StatewardenConfig.HTTP_OPERATOR_TOKENS_FILE, tokens.toString());
      d.start();
      long now = System.currentTimeMillis();
      for (String s : List.of("s1", "s2")) {
        d.sendJson(s, Deployment.json(s, s + "-e1", "hold", "Open", "{}"), now);
      }
      d.awaitAvro(d.topics.transitions(), Transition.class, 2, Duration.ofSeconds(60));
      int port = d.app().httpPort();

      // when the reader, a stranger's token and no token try to cancel s1
      String refusedBody = "{\"reason\":\"r\",\"commandId\":\"refused\"}";
      HttpResponse<String> reader = post(port, "/sessions/s1/cancel", READ, refusedBody);
      HttpResponse<String> stranger =
          post(port, "/sessions/s1/cancel", "carol-token-0123456789", refusedBody);
      HttpResponse<String> nobody = post(port, "/sessions/s1/cancel", null, refusedBody);
      // and alice cancels s1 claiming to be mallory, bob cancels s2 with the CLI
      HttpResponse<String> alice =
          post(
              port,
              "/sessions/s1/cancel",
              ALICE,
              "{\"reason\":\"counterparty gone\",\"operator\":\"mallory\",\"commandId\":\"a1\"}");
      Cli.Run bob =
          Cli.run(
              Main::main,
              "",
              "session",
              "cancel",
              "s2",
              "--reason",
              "stuck",
              "--url",
              "http://127.0.0.1:" + port,
              "--token-file",
              Files.writeString(dir.resolve("bob"), BOB).toString());

      // then
      assertThat(reader.statusCode()).as(reader.body()).isEqualTo(403);
      assertThat(stranger.statusCode()).as(stranger.body()).isEqualTo(401);
      assertThat(nobody.statusCode()).as(nobody.body()).isEqualTo(401);
      assertThat(alice.statusCode()).as(alice.body()).isEqualTo(202);
      assertThat(alice.body()).contains("\"operator\":\"alice\"");
      assertThat(bob.exit()).as(bob.all()).isZero();
      List<AuditRecord> commands =
          Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      d.readAll(d.topics.audit(), AuditRecord.class).stream()
                          .filter(a -> Command.TYPE.equals(a.getEventType()))
                          .toList(),
                  l -> l.size() >= 2);
      assertThat(commands)
          .extracting(a -> a.getSessionId() + ": " + a.getDetail())
          .as("the refused requests wrote nothing; each accepted one names its token's operator")
          .containsExactlyInAnyOrder(
              "s1: cancel by alice: counterparty gone", "s2: cancel by bob: stuck");
      // and the read token still reads, a personal operator token too
      for (String token : List.of(READ, ALICE)) {
        HttpResponse<String> r =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sessions/s1"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      }
    }
  }
}
