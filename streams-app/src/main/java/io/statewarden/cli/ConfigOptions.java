package io.statewarden.cli;

import io.statewarden.config.Environment;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.TextFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * The settings options of {@code run} and {@code replay}: file, then environment, then {@code -D}.
 */
final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Properties file.")
  Path config;

  @Option(
      names = "--protocols",
      paramLabel = "DIR",
      description = "More protocol definitions (directory or files).")
  List<Path> protocols = new ArrayList<>();

  @Option(
      names = "-D",
      paramLabel = "KEY=VALUE",
      description = "A setting; wins over file and environment.")
  Map<String, String> overrides = new HashMap<>();

  /**
   * {@link #load()}, and every setting a command that talks to the cluster needs is there.
   *
   * @throws CommandFailure (exit 1) with one line per missing or malformed setting
   */
  StatewardenConfig loadForCluster() {
    StatewardenConfig cfg = load();
    List<String> missing = cfg.missingClusterSettings();
    if (!missing.isEmpty()) {
      throw new CommandFailure(
          1, String.join("\n", missing.stream().map(m -> "statewarden: " + m).toList()));
    }
    try {
      cfg.signingKeys(); // a key file that cannot be read, a key too short
    } catch (ConfigException e) {
      throw new CommandFailure(1, "statewarden: " + e.getMessage(), e);
    }
    return cfg;
  }

  /**
   * @throws CommandFailure (exit 1) naming the file or the setting when they are wrong
   */
  StatewardenConfig load() {
    try {
      return StatewardenConfig.load(config, Environment.variables(), overrides, protocols);
    } catch (IOException e) {
      throw new CommandFailure(
          1, "statewarden: --config " + config + ": " + TextFiles.describe(config, e), e);
    } catch (ConfigException e) {
      throw new CommandFailure(1, "statewarden: " + e.getMessage(), e);
    }
  }
}
