package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API with a bearer token: health checks open, everything else 401 without the token,
 * forwarding between instances carries it; and no secret setting shows up in any log line.
 */
@ExtendWith(RealKafka.class)
class HttpAuthIT {
  static final String TOKEN = "tok-6f1d2a9c-never-logged";
  static final String JAAS_SECRET = "jaas-pw-never-logged";
  static final String SSL_SECRET = "ssl-pw-never-logged";
  static final String REGISTRY_SECRET = "registry-pw-never-logged";
  static final String REGISTRY_CLIENT_SECRET = "registry-client-secret-never-logged";

  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  HttpResponse<String> get(int port, String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (authorization != null) b.header("Authorization", authorization);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldRequireTheTokenExceptForHealthAndForwardWithIt(KafkaInfra infra) throws Exception {
    LoggerContext logs = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(logs);
    captured.start();
    Logger root = logs.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(captured);
    // Kafka and Apicurio log their configuration at INFO: look at it too
    List<Logger> quiet = List.of(logs.getLogger("org.apache.kafka"), logs.getLogger("io.apicurio"));
    List<Level> before = quiet.stream().map(Logger::getLevel).toList();
    quiet.forEach(l -> l.setLevel(Level.INFO));
    Path tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, TOKEN + "\n");
    try (Deployment a = new Deployment(infra, dir.resolve("a"), 4)) {
      // a token from a file on one instance, from the setting on the other; secret-bearing
      // settings that are unused on this PLAINTEXT broker but still parsed (and logged) by Kafka
      a.extra.put(StatewardenConfig.HTTP_TOKEN_FILE, tokenFile.toString());
      a.extra.put(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\""
              + " password=\""
              + JAAS_SECRET
              + "\";");
      a.extra.put("ssl.truststore.password", SSL_SECRET);
      a.extra.put("ssl.key.password", SSL_SECRET);
      a.extra.put("apicurio.registry.auth.username", "registry-user");
      a.extra.put("apicurio.registry.auth.password", REGISTRY_SECRET);
      // the OAuth2 client secret too; without a token endpoint the serdes use Basic, as here
      a.extra.put("apicurio.registry.auth.client.id", "registry-client");
      a.extra.put("apicurio.registry.auth.client.secret", REGISTRY_CLIENT_SECRET);
      a.start();
      Map<String, String> second = a.settings();
      second.remove(StatewardenConfig.HTTP_TOKEN_FILE);
      second.put(StatewardenConfig.HTTP_TOKEN, TOKEN);
      second.put("state.dir", dir.resolve("b").toString());
      try (StatewardenApp b =
          StatewardenApp.start(StatewardenConfig.load(null, Map.of(), second, List.of()))) {
        StatewardenApp first = a.app();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> first.isRunning() && b.isRunning());
        long now = System.currentTimeMillis();
        for (int i = 0; i < 16; i++) {
          String id = "t" + i;
          a.sendJson(id, Deployment.json(id, "e1", "taleus-listener", "InboundContact", "{}"), now);
        }
        a.awaitAvro(
            a.topics.transitions(),
            io.statewarden.schema.Transition.class,
            16,
            Duration.ofSeconds(60));
        String bearer = "Bearer " + TOKEN;
        for (int port : new int[] {first.httpPort(), b.httpPort()}) {
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> get(port, "/health/ready", null).statusCode() == 200);
          assertThat(get(port, "/health/live", null).statusCode()).isEqualTo(200);
          for (String path :
              List.of(
                  "/sessions/t0",
                  "/sessions",
                  "/deadlines",
                  "/protocols",
                  "/protocols/x",
                  "/metrics",
                  "/stats",
                  "/stats?scope=cluster",
                  "/dead-letters",
                  "/no-such-path")) {
            for (String wrong :
                new String[] {
                  null, "Bearer", "Bearer wrong", "Basic " + TOKEN, bearer + "x", TOKEN
                }) {
              HttpResponse<String> r = get(port, path, wrong);
              assertThat(r.statusCode()).as("%s with %s", path, wrong).isEqualTo(401);
              assertThat(r.headers().firstValue("WWW-Authenticate"))
                  .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
              assertThat(r.body()).doesNotContain(TOKEN);
            }
          }
          // the console's files are open (a browser cannot send the token when it opens a page)
          // and hold no data: their scripts ask for the token
          for (String open : List.of("/", "/console/app.js", "/console/pages.js")) {
            HttpResponse<String> r = get(port, open, null);
            assertThat(r.statusCode()).as(open).isEqualTo(200);
            assertThat(r.body()).doesNotContain("t0").doesNotContain(TOKEN);
          }
          assertThat(get(port, "/protocols", bearer).statusCode()).isEqualTo(200);
          assertThat(get(port, "/metrics", bearer).body()).contains("statewarden_events_total");
          assertThat(get(port, "/sessions/no-such", bearer).statusCode()).isEqualTo(404);
        }
        // every session from both instances: half are forwarded, with the token
        Set<String> answeredBy = new HashSet<>();
        ObjectMapper json = new ObjectMapper();
        for (int port : new int[] {first.httpPort(), b.httpPort()}) {
          for (int i = 0; i < 16; i++) {
            String path = "/sessions/t" + i;
            HttpResponse<String> r =
                Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> get(port, path, bearer), x -> x.statusCode() != 503);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            answeredBy.add(port + "<-" + json.readTree(r.body()).get("answeredBy").asText());
          }
        }
        assertThat(answeredBy)
            .as("each instance answered some sessions itself and forwarded others")
            .hasSize(4);
      }
    } finally {
      root.detachAppender(captured);
      for (int i = 0; i < quiet.size(); i++) quiet.get(i).setLevel(before.get(i));
    }
    List<String> lines =
        captured.list.stream()
            .map(
                e ->
                    e.getFormattedMessage()
                        + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
            .toList();
    assertThat(lines)
        .as("the startup line says whether a token is required")
        .anySatisfy(l -> assertThat(l).contains("HTTP API token required"));
    assertThat(String.join("\n", lines))
        .as("Kafka logged its configuration (so the check below means something)")
        .contains("StreamsConfig values")
        .doesNotContain(TOKEN)
        .doesNotContain(JAAS_SECRET)
        .doesNotContain(SSL_SECRET)
        .doesNotContain(REGISTRY_SECRET)
        .doesNotContain(REGISTRY_CLIENT_SECRET);
  }
}
