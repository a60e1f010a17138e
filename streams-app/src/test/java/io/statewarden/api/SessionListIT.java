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
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /sessions} on two instances of one application on the real broker: either instance
 * lists the sessions of both, a page at a time, oldest first, each once, through the cursor.
 */
@ExtendWith(RealKafka.class)
class SessionListIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int SESSIONS = 40;
  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  HttpResponse<String> get(int port, String path, boolean forwarded) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (forwarded) r.header(SessionQuery.FORWARDED, "test");
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Every page of a listing from {@code port}, page by page through {@code next}. */
  List<String> pageThrough(int port, String query, int limit) throws Exception {
    List<String> ids = new ArrayList<>();
    String after = null;
    for (int pages = 0; pages < 100; pages++) {
      String path = "/sessions?limit=" + limit + query + (after == null ? "" : "&after=" + after);
      HttpResponse<String> r = get(port, path, false);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode body = JSON.readTree(r.body());
      body.get("sessions").forEach(s -> ids.add(s.get("sessionId").asText()));
      assertThat(body.get("sessions").size()).isLessThanOrEqualTo(limit);
      if (body.get("next").isNull()) return ids;
      after = body.get("next").asText();
    }
    throw new AssertionError("paging did not end: " + ids);
  }

  @Test
  void shouldListTheSessionsOfBothInstancesOldestFirstPageByPage(KafkaInfra infra)
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
        // given sessions created a second apart, two minutes ago: their 5s deadlines have passed,
        // so each times out into L_TIMEOUT (final, kept) and then stays as it is
        long base = System.currentTimeMillis() - 120_000;
        for (int i = 0; i < SESSIONS; i++) {
          String id = String.format("q%02d", i);
          a.sendJson(
              id,
              Deployment.json(id, "e1", "taleus-listener", "InboundContact", "{}"),
              base + i * 1000L);
        }
        Awaitility.await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    a.readAll(a.topics.transitions(), Transition.class).stream()
                            .filter(t -> t.getTo().equals("L_TIMEOUT"))
                            .count()
                        == SESSIONS);
        List<String> expected =
            IntStream.range(0, SESSIONS).mapToObj(i -> String.format("q%02d", i)).toList();
        for (int port : new int[] {first.httpPort(), b.httpPort()}) {
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> get(port, "/health/ready", false).statusCode() == 200);
        }
        // sessions live on both instances: each one's own part (a forwarded request) is not empty
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    ownPart(first.httpPort()) + ownPart(b.httpPort()) == SESSIONS
                        && ownPart(first.httpPort()) > 0
                        && ownPart(b.httpPort()) > 0);

        // when listed from either instance, 7 at a time
        // then every session once, oldest entry first, the last page without a cursor
        assertThat(pageThrough(first.httpPort(), "", 7)).isEqualTo(expected);
        assertThat(pageThrough(b.httpPort(), "&protocol=taleus-listener&state=L_TIMEOUT", 6))
            .isEqualTo(expected);
        assertThat(pageThrough(b.httpPort(), "&olderThan=10s", 40)).isEqualTo(expected);
        assertThat(pageThrough(first.httpPort(), "&olderThan=1h", 5)).isEmpty();
        assertThat(pageThrough(first.httpPort(), "&state=L_DONE", 5)).isEmpty();
        assertThat(pageThrough(first.httpPort(), "&protocol=coinswap-alice", 5)).isEmpty();

        JsonNode page = JSON.readTree(get(b.httpPort(), "/sessions?limit=3", false).body());
        assertThat(page.get("sessions").get(0).get("state").asText()).isEqualTo("L_TIMEOUT");
        assertThat(page.get("sessions").get(0).get("protocolVersion").asInt()).isEqualTo(1);
        assertThat(page.get("sessions").get(0).get("enteredAt").asLong()).isEqualTo(base + 5_000);

        // the CLI, through the real Main: the same list, as JSON and as a table
        String url = "http://127.0.0.1:" + b.httpPort();
        TestAccess.Result json =
            TestAccess.main(
                "sessions", "list", "--url", url, "--limit", "9", "--all", "--output", "json");
        assertThat(json.exit()).as(json.err()).isZero();
        List<String> listed = new ArrayList<>();
        JSON.readTree(json.out())
            .get("sessions")
            .forEach(s -> listed.add(s.get("sessionId").asText()));
        assertThat(listed).isEqualTo(expected);
        TestAccess.Result table =
            TestAccess.main(
                "sessions", "list", "--url", url, "--limit", "2", "--state", "L_TIMEOUT");
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out().lines().toList())
            .hasSize(4)
            .satisfies(l -> assertThat(l.get(1)).startsWith("q00").contains("L_TIMEOUT"))
            .satisfies(l -> assertThat(l.get(2)).startsWith("q01"))
            .satisfies(l -> assertThat(l.get(3)).startsWith("more: --after "));
        TestAccess.Result refused =
            TestAccess.main("sessions", "list", "--url", url, "--after", "nonsense");
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("not a cursor");

        // bad parameters: 400 with the reason
        HttpResponse<String> bad = get(first.httpPort(), "/sessions?after=nonsense", false);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("not a cursor");
        assertThat(get(first.httpPort(), "/sessions?limit=0", false).statusCode()).isEqualTo(400);
        assertThat(get(first.httpPort(), "/sessions?olderThan=soon", false).body())
            .contains("olderThan must be a duration");
        assertThat(get(first.httpPort(), "/sessions?colour=red", false).body())
            .contains("unknown parameter 'colour'");
      }
    }
  }

  int ownPart(int port) throws Exception {
    HttpResponse<String> r = get(port, "/sessions?limit=1000", true);
    return r.statusCode() == 200 ? JSON.readTree(r.body()).get("sessions").size() : -1;
  }
}
