package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.app.StatewardenApp;
import io.statewarden.cli.TestAccess;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.RealKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Two instances of one application on one broker: any instance answers for any session. */
@ExtendWith(RealKafka.class)
class HttpApiIT {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldAnswerEverySessionFromEitherInstanceAndServeProtocolsAndMetrics(KafkaInfra infra)
      throws Exception {
    try (Deployment a = new Deployment(infra, dir.resolve("a"), 4)) {
      a.start();
      Map<String, String> second = a.settings();
      second.put("state.dir", dir.resolve("b").toString());
      try (StatewardenApp b =
          StatewardenApp.start(StatewardenConfig.load(null, Map.of(), second, List.of()))) {
        StatewardenApp first = a.app();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> first.isRunning() && b.isRunning());
        long now = System.currentTimeMillis();
        for (int i = 0; i < 40; i++) {
          String id = "q" + i;
          a.sendJson(id, Deployment.json(id, "e1", "taleus-listener", "InboundContact", "{}"), now);
          if (i % 2 == 0) {
            a.sendJson(
                id,
                Deployment.json(
                    id, "e2", "taleus-listener", "HooksComplete", "{\"role\":\"foil\"}"),
                now + 1);
          }
        }
        List<Transition> ts =
            a.awaitAvro(a.topics.transitions(), Transition.class, 60, Duration.ofSeconds(60));
        Map<String, Transition> last =
            ts.stream()
                .collect(
                    Collectors.toMap(
                        Transition::getSessionId,
                        t -> t,
                        (x, y) -> y.getSeq() > x.getSeq() ? y : x));

        Map<String, JsonNode> answers = new java.util.HashMap<>();
        for (int port : new int[] {first.httpPort(), b.httpPort()}) {
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> get(port, "/health/ready").statusCode() == 200);
          for (String id : last.keySet()) {
            HttpResponse<String> r = get(port, "/sessions/" + id);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 503);
            if (r.statusCode() == 200) {
              answers.put(port + "/" + id, JSON.readTree(r.body()));
            }
          }
          assertThat(get(port, "/sessions/no-such-session").statusCode()).isEqualTo(404);
        }
        // the store may be ahead of the committed outputs for a moment: compare with a later read
        Awaitility.await().pollDelay(Duration.ofSeconds(1)).until(() -> true);
        List<Transition> committed = a.readAll(a.topics.transitions(), Transition.class);
        assertThat(committed.stream().map(t -> t.getSessionId() + "#" + t.getSeq()).toList())
            .doesNotHaveDuplicates();
        assertThat(answers).hasSizeGreaterThan(60);
        answers.forEach(
            (key, s) -> {
              String id = key.substring(key.indexOf('/') + 1);
              long seq = s.get("seq").asLong();
              assertThat(committed)
                  .as("answer %s is a committed step of %s", s, id)
                  .anySatisfy(
                      t -> {
                        assertThat(t.getSessionId()).isEqualTo(id);
                        assertThat(t.getSeq()).isEqualTo(seq);
                        assertThat(t.getTo()).isEqualTo(s.get("state").asText());
                        assertThat(t.getIncarnation()).isEqualTo(s.get("incarnation").asText());
                      });
              assertThat(s.get("protocolVersion").asInt()).isEqualTo(1);
              assertThat(s.get("history")).hasSize((int) seq);
            });
        java.util.Set<String> answeredBy = new java.util.HashSet<>();
        for (Transition t : last.values()) {
          HttpResponse<String> r = get(first.httpPort(), "/sessions/" + t.getSessionId());
          if (r.statusCode() == 200)
            answeredBy.add(JSON.readTree(r.body()).get("answeredBy").asText());
        }
        assertThat(answeredBy)
            .as("sessions live on both instances; one forwards to the other")
            .hasSize(2);

        JsonNode protocols = JSON.readTree(get(b.httpPort(), "/protocols").body());
        assertThat(protocols).hasSize(5);
        JsonNode listener = JSON.readTree(get(b.httpPort(), "/protocols/taleus-listener").body());
        assertThat(listener.get("versions").get(0).get("mermaid").asText())
            .startsWith("stateDiagram-v2");
        assertThat(get(b.httpPort(), "/protocols/nope").statusCode()).isEqualTo(404);

        String metrics =
            get(first.httpPort(), "/metrics").body() + get(b.httpPort(), "/metrics").body();
        // each instance's exposition reads back strictly: escaped labels, every family typed
        PrometheusTextParser.parse(get(first.httpPort(), "/metrics").body());
        PrometheusTextParser.parse(get(b.httpPort(), "/metrics").body());
        assertThat(metrics)
            .contains("statewarden_events_total{decision=\"ACCEPTED\",reason=\"\"}")
            .contains(
                "statewarden_transitions_total{protocol=\"taleus-listener\",state=\"L_SEND_RESPONSE\"}")
            .contains("statewarden_deadline_lateness_seconds_bucket{le=\"+Inf\"}")
            .contains("statewarden_deadlines_pending")
            .contains("statewarden_sessions_active{protocol=\"taleus-listener\",state=")
            .contains("kafka_stream_thread_metrics_process_total");
        // the sessions left in L_PROCESS_CONTACT time out after 5 s: the gauge follows them to 0
        // on both instances
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    (get(first.httpPort(), "/metrics").body()
                            + get(b.httpPort(), "/metrics").body())
                        .lines()
                        .filter(
                            l ->
                                l.startsWith(
                                    "statewarden_sessions_active{protocol=\"taleus-listener\",state=\"L_PROCESS_CONTACT\"}"))
                        .allMatch(l -> l.endsWith(" 0.0") || l.endsWith(" 0")));

        // ids with characters that mean something in a URL: read as path segments, from the
        // instance that owns each and from the one that forwards
        List<String> odd = List.of("q+1", "q/2", "q 3%", "q%2B4");
        for (String id : odd) {
          a.sendJson(id, Deployment.json(id, "e1", "taleus-listener", "InboundContact", "{}"), now);
        }
        a.awaitAvro(a.topics.transitions(), Transition.class, 64, Duration.ofSeconds(60));
        for (String id : odd) {
          String encoded =
              java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)
                  .replace("+", "%20");
          for (int port : new int[] {first.httpPort(), b.httpPort()}) {
            HttpResponse<String> r =
                Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> get(port, "/sessions/" + encoded), x -> x.statusCode() != 503);
            assertThat(r.statusCode()).as("%s as %s: %s", id, encoded, r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("sessionId").asText()).isEqualTo(id);
          }
        }
        // a '+' as it is stays a plus (a form decoder would make it a space)
        HttpResponse<String> plus = get(b.httpPort(), "/sessions/q+1");
        assertThat(plus.statusCode()).as(plus.body()).isEqualTo(200);
        assertThat(JSON.readTree(plus.body()).get("sessionId").asText()).isEqualTo("q+1");

        StringWriter out = new StringWriter();
        int exit =
            TestAccess.commandLine()
                .setOut(new PrintWriter(out))
                .execute("session", "q0", "--url", "http://127.0.0.1:" + b.httpPort());
        assertThat(exit).isZero();
        assertThat(out.toString()).contains("\"sessionId\":\"q0\"").contains("L_TIMEOUT");
      }
    }
  }
}
