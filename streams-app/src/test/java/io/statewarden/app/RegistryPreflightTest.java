package io.statewarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RegistryPreflightTest {
  @Test
  void shouldSayInOneLineThatTheRegistryDidNotAnswer() throws Exception {
    // given a port nothing listens on
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + closed + "/apis/registry/v3";

    // when / then
    assertThatThrownBy(() -> RegistryPreflight.check(url, Duration.ofMillis(700)))
        .isInstanceOf(StartupException.class)
        .hasMessage(
            "the schema registry at "
                + url
                + " (apicurio.registry.url) did not answer within 0.7 s: connection refused")
        .matches(e -> ((StartupException) e).unreachable());
  }

  @Test
  void shouldRefuseAUrlThatIsNotTheV3ApiAndAcceptAnyOtherAnswer() throws Exception {
    // given a server that knows /apis/registry/v3/... only, and fails on reads
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          x.sendResponseHeaders(x.getRequestURI().getPath().startsWith("/apis/") ? 500 : 404, -1);
          x.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();

      // when / then
      assertThatThrownBy(() -> RegistryPreflight.check(base, Duration.ofSeconds(5)))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("answered 404 for /system/info")
          .matches(e -> !((StartupException) e).unreachable());
      assertThatCode(
              () -> RegistryPreflight.check(base + "/apis/registry/v3/", Duration.ofSeconds(5)))
          .doesNotThrowAnyException();
    } finally {
      server.stop(0);
    }
    assertThat(KafkaPreflight.seconds(Duration.ofSeconds(30))).isEqualTo("30 s");
  }

  /**
   * An OIDC issuer (POST /token: client credentials of client "statewarden", secret "s3cret", or
   * user "sw"/"pw" for Basic) and a registry that lets a read through with its token only.
   */
  static HttpServer issuerAndRegistry(List<String> tokenRequests) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/token",
        x -> {
          String form = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          tokenRequests.add(form);
          boolean ok =
              form.equals(
                  "grant_type=client_credentials&client_id=statewarden&client_secret=s3cret");
          byte[] body = (ok ? "{\"access_token\":\"tok-1\",\"expires_in\":300}" : "{}").getBytes();
          x.sendResponseHeaders(ok ? 200 : 401, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.createContext(
        "/apis/registry/v3/",
        x -> {
          String auth = x.getRequestHeaders().getFirst("Authorization");
          boolean read = x.getRequestURI().getPath().endsWith("/groups");
          boolean allowed =
              "Bearer tok-1".equals(auth)
                  || ("Basic " + Base64.getEncoder().encodeToString("sw:pw".getBytes()))
                      .equals(auth);
          x.sendResponseHeaders(!read || allowed ? 200 : 401, -1);
          x.close();
        });
    server.start();
    return server;
  }

  @Test
  void shouldGetATokenWithTheSerdesClientCredentialsAndReadWithIt() throws Exception {
    List<String> tokenRequests = new CopyOnWriteArrayList<>();
    HttpServer server = issuerAndRegistry(tokenRequests);
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      String url = base + "/apis/registry/v3";
      Map<String, Object> serde =
          Map.of(
              "apicurio.registry.auth.service.token.endpoint", base + "/token",
              "apicurio.registry.auth.client.id", "statewarden",
              "apicurio.registry.auth.client.secret", "s3cret");

      // when / then: the right secret reads
      assertThatCode(() -> RegistryPreflight.check(url, serde, Duration.ofSeconds(5)))
          .doesNotThrowAnyException();
      assertThat(tokenRequests).hasSize(1);

      // a wrong secret is refused by the issuer, in one line that names the settings
      Map<String, Object> wrong = new HashMap<>(serde);
      wrong.put("apicurio.registry.auth.client.secret", "guess");
      assertThatThrownBy(() -> RegistryPreflight.check(url, wrong, Duration.ofSeconds(5)))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("apicurio.registry.auth.service.token.endpoint")
          .hasMessageContaining("client 'statewarden'")
          .hasMessageContaining("HTTP 401")
          .hasMessageNotContaining("guess")
          .matches(e -> !((StartupException) e).unreachable());

      // no credentials: the registry refuses the read, and the message says what to set
      assertThatThrownBy(() -> RegistryPreflight.check(url, Duration.ofSeconds(5)))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("refused a client without credentials")
          .hasMessageContaining("apicurio.registry.auth.client.id");

      // HTTP Basic, the serdes' other way
      assertThatCode(
              () ->
                  RegistryPreflight.check(
                      url,
                      Map.of(
                          "apicurio.registry.auth.username", "sw",
                          "apicurio.registry.auth.password", "pw"),
                      Duration.ofSeconds(5)))
          .doesNotThrowAnyException();
      assertThatThrownBy(
              () ->
                  RegistryPreflight.check(
                      url,
                      Map.of(
                          "apicurio.registry.auth.username", "sw",
                          "apicurio.registry.auth.password", "nope"),
                      Duration.ofSeconds(5)))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("refused statewarden's credentials")
          .hasMessageContaining("'sw'")
          .hasMessageNotContaining("nope");
    } finally {
      server.stop(0);
    }
  }
}
