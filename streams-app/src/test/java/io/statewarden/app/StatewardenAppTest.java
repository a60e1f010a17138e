package io.statewarden.app;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.ProtocolLoadException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatewardenAppTest {
  @TempDir Path dir;

  @Test
  void shouldRefuseToStartWithABadDefinitionNamingFilePathAndCause() throws Exception {
    Path bad = dir.resolve("broken.yaml");
    Files.writeString(
        bad,
        "protocol: broken\nversion: 1\ninitial: A\nstart: [Go]\nstates:\n  A: {on: {X: NOWHERE}}\n");
    StatewardenConfig config =
        StatewardenConfig.load(
            null, Map.of(), Map.of("bootstrap.servers", "127.0.0.1:1"), List.of(dir));

    assertThatThrownBy(() -> StatewardenApp.start(config))
        .isInstanceOf(ProtocolLoadException.class)
        .hasMessageContaining("broken.yaml:6: states.A.on.X.to: unknown state 'NOWHERE'");
  }

  @Test
  void shouldNameTheOutputPrefixWhenAReplaysSchemasAreMissingAndPublishingIsOff() throws Exception {
    // given a registry that has none of the contract's schemas
    HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext(
        "/",
        x -> {
          x.getRequestBody().readAllBytes();
          byte[] body = "{\"count\":0,\"versions\":[]}".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(200, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    registry.start();
    try {
      String url = "http://127.0.0.1:" + registry.getAddress().getPort() + "/apis/registry/v3";
      StatewardenConfig config =
          StatewardenConfig.load(
              null,
              Map.of(),
              Map.of("apicurio.registry.url", url, StatewardenConfig.SCHEMAS_PUBLISH, "false"),
              List.of());

      // when replay checks its prefixed outputs, then the command to run names the prefix
      assertThatThrownBy(
              () -> StatewardenApp.publishSchemas(config, config.topics().withOutputPrefix("r1.")))
          .isInstanceOf(StartupException.class)
          .hasMessageContaining(", r1.statewarden.transitions-value, r1.statewarden.backouts-value")
          .hasMessageEndingWith(
              "publish them with 'statewarden schemas publish --output-prefix r1.'");
      // and run, checking the live ones, names none
      assertThatThrownBy(() -> StatewardenApp.publishSchemas(config, config.topics()))
          .isInstanceOf(StartupException.class)
          .hasMessageEndingWith("publish them with 'statewarden schemas publish'");
    } finally {
      registry.stop(0);
    }
  }
}
