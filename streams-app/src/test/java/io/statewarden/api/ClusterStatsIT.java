package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
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
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /stats?scope=cluster} on two instances of one application on the real broker, with a
 * token: either instance answers the sum of both instances' own counts.
 */
@ExtendWith(RealKafka.class)
class ClusterStatsIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "cluster-stats-token-77";
  static final int SESSIONS = 30;

  /** Sessions that stay in HELD: their counts do not change while the test reads them. */
  static final String PROTOCOL =
      """
      protocol: held
      version: 1
      initial: HELD
      start: [Open]
      states:
        HELD:
          on:
            Close: CLOSED
        CLOSED: {final: COMPLETED}
      """;

  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  JsonNode stats(int port, String query) throws Exception {
    HttpResponse<String> r = get(port, "/stats" + query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static long active(JsonNode stats) {
    long n = 0;
    for (JsonNode a : stats.get("active")) {
      if (a.get("protocol").asText().equals("held") && a.get("state").asText().equals("HELD")) {
        n += a.get("count").asLong();
      }
    }
    return n;
  }

  static long total(JsonNode stats, String key) {
    JsonNode n = stats.get("totals").get(key);
    return n == null ? 0 : n.asLong();
  }

  @Test
  void shouldSumTheCountsOfEveryInstance(KafkaInfra infra) throws Exception {
    Path protocols = dir.resolve("protocols");
    Files.createDirectories(protocols);
    Files.writeString(protocols.resolve("held.yaml"), PROTOCOL);
    try (Deployment a = new Deployment(infra, dir.resolve("a"), 4)) {
      a.extra.put(StatewardenConfig.HTTP_TOKEN, TOKEN);
      a.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      a.start();
      Map<String, String> second = a.settings();
      second.put("state.dir", dir.resolve("b").toString());
      try (StatewardenApp b =
          StatewardenApp.start(StatewardenConfig.load(null, Map.of(), second, List.of()))) {
        StatewardenApp first = a.app();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> first.isRunning() && b.isRunning());
        // given sessions on both instances, held where they are
        long now = System.currentTimeMillis();
        for (int i = 0; i < SESSIONS; i++) {
          String id = "c" + i;
          a.sendJson(id, Deployment.json(id, "e1", "held", "Open", "{}"), now);
        }
        int[] ports = {first.httpPort(), b.httpPort()};
        Awaitility.await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    get(ports[0], "/stats").statusCode() == 200
                        && get(ports[1], "/stats").statusCode() == 200
                        && active(stats(ports[0], "")) + active(stats(ports[1], "")) == SESSIONS
                        && active(stats(ports[0], "")) > 0
                        && active(stats(ports[1], "")) > 0);
        JsonNode ownA = stats(ports[0], "");
        JsonNode ownB = stats(ports[1], "");
        assertThat(ownA.get("scope").asText()).isEqualTo("instance");
        assertThat(active(ownA)).isLessThan(SESSIONS);

        // when either instance is asked for the cluster
        for (int port : ports) {
          JsonNode cluster =
              Awaitility.await()
                  .atMost(Duration.ofSeconds(30))
                  .until(
                      () -> {
                        HttpResponse<String> r = get(port, "/stats?scope=cluster");
                        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                      },
                      java.util.Objects::nonNull);

          // then it answers both instances' counts summed
          assertThat(cluster.get("scope").asText()).isEqualTo("cluster");
          assertThat(cluster.get("instances").asInt()).isEqualTo(2);
          assertThat(active(cluster)).isEqualTo(SESSIONS);
          String entered = "transitions|held|HELD";
          assertThat(total(cluster, entered))
              .isEqualTo(total(ownA, entered) + total(ownB, entered))
              .isEqualTo(SESSIONS);
          assertThat(total(cluster, "events|ACCEPTED|")).isEqualTo(SESSIONS);
          assertThat(cluster.get("fires").get("minutes")).hasSize(60);
        }

        // a scope it does not know: 400 with the reason
        HttpResponse<String> bad = get(ports[0], "/stats?scope=galaxy");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("scope must be instance or cluster");
      }
    }
  }
}
