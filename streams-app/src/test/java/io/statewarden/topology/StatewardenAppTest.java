package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.ProtocolLoadException;
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
}
