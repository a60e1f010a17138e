package io.statewarden.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.embedded.Ports;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real 3-broker cluster (RF 3, min.insync 2): scale from one instance (its own JVM) to three
 * and back to one during load, while random sessions are queried through every instance's HTTP API:
 * no transition lost or repeated, every session ends, and every answer is a committed step of its
 * session or says clearly that the state is not available (503) or not there yet (404).
 */
@ExtendWith(RealKafka.class)
class ScaleIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  Process start(Deployment d, String name, int httpPort) throws Exception {
    d.extra.put("state.dir", dir.resolve("state-" + name).toString());
    d.extra.put(StatewardenConfig.HTTP_PORT, String.valueOf(httpPort));
    return ReplayIT.runJar(d);
  }

  @Test
  void shouldScaleOneToThreeToOneUnderLoadWhileAnsweringQueries(KafkaInfra shared)
      throws Exception {
    try (var cluster = ClusterIT.cluster()) {
      run(new KafkaInfra(cluster.bootstrapServers(), shared.registryUrl()));
    }
  }

  void run(KafkaInfra infra) throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.copy(
        ScaleIT.class.getResourceAsStream("/replay/replay-test.yaml"),
        protocols.resolve("replay-test.yaml"));
    int[] ports = {Ports.freeLoopbackPort(), Ports.freeLoopbackPort(), Ports.freeLoopbackPort()};
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    Map<String, JsonNode> answers = new ConcurrentHashMap<>();
    Set<Integer> statuses = ConcurrentHashMap.newKeySet();
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 6)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put("replication.factor", "3");
      List<Process> instances = new ArrayList<>(List.of(start(d, "a", ports[0])));
      // runs on its own thread once the other instances start; its failures come back through get()
      FutureTask<Void> queries =
          new FutureTask<>(
              () -> {
                Random r = new Random(3);
                boolean[] answered = new boolean[ports.length]; // by each instance, once at least
                for (int i = 0; i < 1_000; i++) {
                  String id = "rs-9-" + r.nextInt(ReplayIT.SESSIONS);
                  int instance = r.nextInt(ports.length);
                  int port = ports[instance];
                  String to = "instance " + "abc".charAt(instance) + " (port " + port + ")";
                  java.util.concurrent.locks.LockSupport.parkNanos(
                      20_000_000); // spread over ~20 s of load
                  HttpResponse<String> res;
                  long sent = System.nanoTime();
                  try {
                    res =
                        http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/sessions/" + id))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                            HttpResponse.BodyHandlers.ofString());
                  } catch (java.net.ConnectException e) {
                    continue; // that instance is not running at the moment
                  } catch (java.net.http.HttpTimeoutException e) {
                    // a starting instance binds its port before its API serves (HttpApi), so a
                    // request may wait there unanswered: that instance is not running yet either;
                    // once it has answered, it must answer every time
                    if (!answered[instance]) continue;
                    throw new AssertionError(
                        String.format(
                            "query %d for %s to %s (which answered before) timed out after %d ms",
                            i, id, to, (System.nanoTime() - sent) / 1_000_000),
                        e);
                  } catch (Exception e) {
                    throw new AssertionError(
                        String.format(
                            "query %d for %s to %s failed after %d ms",
                            i, id, to, (System.nanoTime() - sent) / 1_000_000),
                        e);
                  }
                  answered[instance] = true;
                  statuses.add(res.statusCode());
                  if (res.statusCode() == 200) {
                    answers.put(i + "/" + id, JSON.readTree(res.body()));
                  } else {
                    assertThat(res.statusCode())
                        .as("query %d for %s to %s: %s", i, id, to, res.body())
                        .isIn(404, 503);
                  }
                }
                return null;
              });
      try {
        ReplayIT.traffic(
            d,
            9,
            () -> {
              try {
                instances.add(start(d, "b", ports[1]));
                instances.add(start(d, "c", ports[2]));
                new Thread(queries, "scale-queries").start();
                Thread.onSpinWait();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
        // scale back to one while the last sessions run
        for (Process p : instances.subList(1, instances.size())) {
          p.destroy(); // graceful: SIGTERM
          p.waitFor(60, TimeUnit.SECONDS);
        }
        List<Transition> ts = ReplayIT.awaitQuiet(d);
        awaitQueries(queries);

        ReplayIT.assertExactlyOnce(d, ts);
        assertThat(statuses).contains(200);
        assertThat(answers).isNotEmpty();
        answers.forEach(
            (key, s) -> {
              String id = key.substring(key.indexOf('/') + 1);
              long seq = s.get("seq").asLong();
              assertThat(ts)
                  .as("answer %s is a committed step", s)
                  .anySatisfy(
                      t -> {
                        assertThat(t.getSessionId()).isEqualTo(id);
                        assertThat(t.getSeq()).isEqualTo(seq);
                        assertThat(t.getTo()).isEqualTo(s.get("state").asText());
                      });
            });
      } finally {
        queries.cancel(true); // no-op once done; stops it when the test failed earlier
        for (Process p : instances) {
          p.destroy();
          p.waitFor(60, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** Waits for the background queries and fails the test with whatever failed them. */
  static void awaitQueries(Future<?> queries) throws InterruptedException {
    try {
      queries.get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error err) throw err; // AssertionError as is
      throw new AssertionError("queries failed", e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("queries did not finish within 120 s", e);
    }
  }
}
