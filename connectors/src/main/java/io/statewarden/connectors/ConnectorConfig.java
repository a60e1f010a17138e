package io.statewarden.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One connector as Connect's REST API takes it: {@code {"name": ..., "config": {...}}}, the shape
 * of the files under {@code connectors/config/}.
 *
 * @param name the connector name
 * @param config its settings
 */
public record ConnectorConfig(String name, Map<String, String> config) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public ConnectorConfig {
    config = Map.copyOf(config);
  }

  /**
   * Reads one connector file.
   *
   * @param file a JSON file with {@code name} and {@code config}
   * @return the connector
   */
  public static ConnectorConfig read(Path file) {
    try {
      JsonNode root = JSON.readTree(file.toFile());
      Map<String, String> config = new LinkedHashMap<>();
      root.path("config")
          .fields()
          .forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
      if (!root.hasNonNull("name") || config.isEmpty()) {
        throw new IllegalArgumentException(file + " needs a name and a config object");
      }
      return new ConnectorConfig(root.get("name").asText(), config);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read connector config " + file, e);
    }
  }

  /**
   * Reads every {@code *.json} file of a directory, in file name order.
   *
   * @param dir e.g. {@code connectors/config}
   * @return the connectors
   */
  public static List<ConnectorConfig> readAll(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".json"))
          .sorted()
          .map(ConnectorConfig::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list " + dir, e);
    }
  }

  /**
   * The setting, which must be there.
   *
   * @param key a config key
   * @return its value
   */
  public String get(String key) {
    String value = config.get(key);
    if (value == null) {
      throw new IllegalArgumentException("Connector " + name + " has no " + key);
    }
    return value;
  }

  /**
   * The environment variables this connector's settings reference as {@code ${env:NAME}}.
   *
   * @return the variable names, sorted, without repeats
   */
  public List<String> environmentReferences() {
    return config.values().stream()
        .flatMap(v -> ENV_REFERENCE.matcher(v).results().map(m -> m.group(1)))
        .distinct()
        .sorted()
        .toList();
  }

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{env:([^}:]+)}");

  /**
   * A copy with these settings replaced or added.
   *
   * @param overrides settings to set
   * @return the changed connector
   */
  public ConnectorConfig with(Map<String, String> overrides) {
    Map<String, String> changed = new LinkedHashMap<>(config);
    changed.putAll(overrides);
    return new ConnectorConfig(name, changed);
  }

  /**
   * A copy under another name.
   *
   * @param newName the new connector name
   * @return the renamed connector
   */
  public ConnectorConfig named(String newName) {
    return new ConnectorConfig(newName, config);
  }
}
