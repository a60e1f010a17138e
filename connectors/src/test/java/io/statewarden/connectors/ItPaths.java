package io.statewarden.connectors;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the build put what the integration tests use (set by failsafe in connectors/pom.xml). */
final class ItPaths {
  private ItPaths() {}

  /** The Connect worker's plugin.path: Debezium's plugins and the Apicurio converter. */
  static String pluginPath() {
    String path = System.getProperty("statewarden.connect.plugin.path");
    if (path == null) {
      throw new IllegalStateException(
          "Run the integration tests through Maven (`./mvnw verify`): it unpacks the Connect"
              + " plugins and sets statewarden.connect.plugin.path");
    }
    for (String dir : path.split(",")) {
      if (!Files.isDirectory(Path.of(dir))) {
        throw new IllegalStateException("Missing Connect plugin directory " + dir);
      }
    }
    return path;
  }

  /** {@code connectors/bin/statewarden-connect}. */
  static Path launcher() {
    Path script =
        Path.of(System.getProperty("statewarden.connect.launcher", "bin/statewarden-connect"));
    if (!Files.isExecutable(script)) {
      throw new IllegalStateException("Missing or not executable: " + script.toAbsolutePath());
    }
    return script.toAbsolutePath();
  }

  /** {@code connectors/config}. */
  static Path configs() {
    return Path.of(System.getProperty("statewarden.connect.configs", "config"));
  }

  /** {@code connectors/sql}. */
  static Path sql() {
    return Path.of(System.getProperty("statewarden.connect.sql", "sql"));
  }
}
