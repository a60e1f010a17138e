package io.statewarden.connectors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the connectors of {@code connectors/config/} run: fills in the settings that differ between
 * installations (database addresses and users, the registry, topic names, replication slot names)
 * and leaves the rest of each file as it is. Passwords are not among them: the files reference them
 * through the worker's config provider ({@code ${env:STATEWARDEN_SINK_PASSWORD}}), so that no
 * password is stored in Connect's config topic or returned by its REST API; {@link #apply} refuses
 * a connector that holds a password itself.
 *
 * @param sinkJdbcUrl the database of the sink tables, {@code jdbc:postgresql://host:port/db}
 * @param sinkUser its user
 * @param outboxHost the host of the database with the outbox table
 * @param outboxPort its port
 * @param outboxDatabase its database name
 * @param outboxUser a user with REPLICATION that owns the outbox table
 * @param registryV2Url the registry's v2 API, e.g. {@code http://127.0.0.1:8080/apis/registry/v2}
 * @param topics statewarden's topic names
 * @param slotName the replication slot and publication of the outbox source
 */
public record Environment(
    String sinkJdbcUrl,
    String sinkUser,
    String outboxHost,
    int outboxPort,
    String outboxDatabase,
    String outboxUser,
    String registryV2Url,
    OutputTopics topics,
    String slotName) {

  /**
   * The connector with this environment's settings wherever it has such a setting.
   *
   * @param connector a connector as read from its file
   * @return the connector for this environment
   * @throws IllegalArgumentException when a password or secret setting is not a config provider
   *     reference
   */
  public ConnectorConfig apply(ConnectorConfig connector) {
    Map<String, String> c = connector.config();
    List<String> literal = literalSecrets(connector);
    if (!literal.isEmpty()) {
      throw new IllegalArgumentException(
          "Connector "
              + connector.name()
              + " holds "
              + String.join(", ", literal)
              + " itself; Connect would store it in its config topic and return it from its REST"
              + " API. Reference it through the worker's config provider instead, e.g."
              + " \"${env:STATEWARDEN_SINK_PASSWORD}\" (docs/connectors.md, Secrets)");
    }
    Map<String, String> o = new HashMap<>();
    if (c.containsKey("connection.url")) {
      o.put("connection.url", sinkJdbcUrl);
      o.put("connection.username", sinkUser);
    }
    if (c.containsKey("database.hostname")) {
      o.put("database.hostname", outboxHost);
      o.put("database.port", String.valueOf(outboxPort));
      o.put("database.dbname", outboxDatabase);
      o.put("database.user", outboxUser);
      o.put("slot.name", slotName);
      o.put("publication.name", slotName);
    }
    if (c.containsKey("value.converter.apicurio.registry.url")) {
      o.put("value.converter.apicurio.registry.url", registryV2Url);
    }
    if (c.containsKey("transforms.outbox.route.topic.replacement")) {
      o.put("transforms.outbox.route.topic.replacement", topics.eventsJson());
    }
    if (c.containsKey("topics")) {
      o.put("topics", topic(c.get("topics")));
    }
    return connector.with(o);
  }

  /**
   * The settings of a connector that hold a secret (names ending in {@code password} or {@code
   * secret}) with a value that is not a config provider reference {@code ${provider:[path:]key}}.
   *
   * @param connector a connector
   * @return the offending setting names, sorted; empty when there are none
   */
  public static List<String> literalSecrets(ConnectorConfig connector) {
    return connector.config().entrySet().stream()
        .filter(e -> SECRET_KEY.matcher(e.getKey()).find())
        .filter(e -> !e.getValue().isEmpty() && !PROVIDER_REFERENCE.matcher(e.getValue()).matches())
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  private static final Pattern SECRET_KEY = Pattern.compile("(password|secret)$");

  /** One whole-value reference, as Kafka's ConfigTransformer reads them. */
  private static final Pattern PROVIDER_REFERENCE =
      Pattern.compile("\\$\\{[A-Za-z0-9_.-]+:(?:[^}:]*:)?[^}]+}");

  private String topic(String defaultName) {
    OutputTopics d = OutputTopics.DEFAULTS;
    if (defaultName.equals(d.transitions())) {
      return topics.transitions();
    } else if (defaultName.equals(d.backouts())) {
      return topics.backouts();
    } else if (defaultName.equals(d.audit())) {
      return topics.audit();
    }
    throw new IllegalArgumentException("No statewarden output topic is named " + defaultName);
  }
}
