package io.statewarden.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.statewarden.config.Topics;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * {@link SchemaPublisher} authenticates every request the way the serdes are configured to: with a
 * token from the OIDC issuer (client credentials) or with HTTP Basic, on writes ({@code publish})
 * and on the read-only check used when {@code statewarden.schemas.publish=false} ({@code missing}).
 * A stand-in issuer and registry record what arrives.
 */
class SchemaPublisherTest {
  /** Method, path and Authorization header of each registry request. */
  final List<String> requests = new CopyOnWriteArrayList<>();

  final List<String> tokenRequests = new CopyOnWriteArrayList<>();

  /**
   * POST /token: a token for client "statewarden" with secret "s3cret" only. Under /registry: no
   * artifact yet (404), creates answer version 1, a search finds the schema.
   */
  /** Answers {@code status} with {@code body} (null: none) as the registry would. */
  static void respond(com.sun.net.httpserver.HttpExchange x, int status, String body)
      throws java.io.IOException {
    byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) x.getResponseBody().write(b);
    x.close();
  }

  HttpServer issuerAndRegistry() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/token",
        x -> {
          String form = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          tokenRequests.add(form);
          boolean ok =
              form.contains("grant_type=client_credentials")
                  && form.contains("client_id=statewarden")
                  && form.contains("client_secret=s3cret");
          byte[] body =
              (ok ? "{\"access_token\":\"tok-123\",\"token_type\":\"Bearer\"}" : "{}")
                  .getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(ok ? 200 : 401, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.createContext(
        "/registry",
        x -> {
          x.getRequestBody().readAllBytes();
          String path = x.getRequestURI().getPath();
          String method = x.getRequestMethod();
          requests.add(method + " " + path + " " + x.getRequestHeaders().getFirst("Authorization"));
          int status;
          String body;
          if (method.equals("GET")) {
            status = 404;
            body = "{}";
          } else if (path.endsWith("/search/versions")) {
            status = 200;
            body = "{\"count\":1}";
          } else if (path.endsWith("/rules")) {
            status = 204;
            body = null;
          } else {
            status = 200;
            body = "{\"version\":{\"version\":\"1\"}}";
          }
          respond(x, status, body);
        });
    server.start();
    return server;
  }

  void assertEveryRequestCarries(String authorization, Map<String, String> serdeConfig, String url)
      throws Exception {
    SchemaPublisher publisher = new SchemaPublisher(url, serdeConfig, Duration.ofSeconds(10));
    assertThat(publisher.publish(Topics.DEFAULTS)).hasSize(4).containsValue("1");
    assertThat(publisher.missing(Topics.DEFAULTS.withOutputPrefix("r1."))).isEmpty();
    assertThat(requests)
        .as("the writes of publish and the searches of the read-only check")
        .anyMatch(r -> r.startsWith("POST /registry/groups/default/artifacts "))
        .anyMatch(r -> r.startsWith("POST /registry/search/versions "))
        .allSatisfy(r -> assertThat(r).endsWith(" " + authorization));
  }

  @Test
  void shouldSendTheBearerTokenOfTheClientCredentialsOnEveryRequest() throws Exception {
    HttpServer server = issuerAndRegistry();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertEveryRequestCarries(
          "Bearer tok-123",
          Map.of(
              "apicurio.registry.auth.service.token.endpoint", base + "/token",
              "apicurio.registry.auth.client.id", "statewarden",
              "apicurio.registry.auth.client.secret", "s3cret"),
          base + "/registry");
      assertThat(tokenRequests).isNotEmpty();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void shouldSendBasicCredentialsOnEveryRequest() throws Exception {
    HttpServer server = issuerAndRegistry();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertEveryRequestCarries(
          "Basic " + Base64.getEncoder().encodeToString("sw:pw".getBytes(StandardCharsets.UTF_8)),
          Map.of("apicurio.registry.auth.username", "sw", "apicurio.registry.auth.password", "pw"),
          base + "/registry");
      assertThat(tokenRequests).isEmpty();
    } finally {
      server.stop(0);
    }
  }

  /**
   * Two instances starting at once both find no rule on a new artifact and both create it: the
   * registry answers the second 409. That one checks the rule the other created instead of failing
   * its start.
   */
  @Test
  void shouldAcceptTheRuleAnotherInstanceCreatedFirst() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    java.util.Set<String> rulesSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    server.createContext(
        "/registry",
        x -> {
          x.getRequestBody().readAllBytes();
          String path = x.getRequestURI().getPath();
          String method = x.getRequestMethod();
          requests.add(method + " " + path);
          int status;
          String body = null;
          if (method.equals("GET") && path.endsWith("/rules/COMPATIBILITY")) {
            // not there when first asked; there once the other instance created it
            status = rulesSeen.add(path) ? 404 : 200;
            body = status == 200 ? "{\"ruleType\":\"COMPATIBILITY\",\"config\":\"FULL\"}" : "{}";
          } else if (method.equals("GET")) {
            status = 404;
            body = "{}";
          } else if (method.equals("POST") && path.endsWith("/rules")) {
            status = 409;
            body = "{\"message\":\"A rule named 'COMPATIBILITY' already exists.\"}";
          } else if (method.equals("PUT")) {
            status = 204;
          } else {
            status = 200;
            body = "{\"version\":{\"version\":\"1\"}}";
          }
          respond(x, status, body);
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/registry";
      SchemaPublisher publisher = new SchemaPublisher(url, Map.of(), Duration.ofSeconds(10));

      assertThat(publisher.publish(Topics.DEFAULTS)).hasSize(4).containsValue("1");
      // the other instance's rule differs from statewarden's: it is set to statewarden's
      assertThat(requests)
          .filteredOn(r -> r.startsWith("PUT "))
          .hasSize(4)
          .allSatisfy(r -> assertThat(r).endsWith("/rules/COMPATIBILITY"));
    } finally {
      server.stop(0);
    }
  }
}
