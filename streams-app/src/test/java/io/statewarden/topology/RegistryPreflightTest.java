package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
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
    // given a server that knows /apis/registry/v3/system/info only, and asks for credentials
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          x.sendResponseHeaders(x.getRequestURI().getPath().startsWith("/apis/") ? 401 : 404, -1);
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
}
