package io.statewarden.connectors;

import java.util.HashMap;
import java.util.Map;

/**
 * Where the connectors of {@code connectors/config/} run: fills in the settings that differ between
 * installations (database addresses and users, the registry, topic names, replication slot names)
 * and leaves the rest of each file as it is.
 *
 * @param sinkJdbcUrl the database of the sink tables, {@code jdbc:postgresql://host:port/db}
 * @param sinkUser its user
 * @param sinkPassword its password
 * @param outboxHost the host of the database with the outbox table
 * @param outboxPort its port
 * @param outboxDatabase its database name
 * @param outboxUser a user with REPLICATION that owns the outbox table
 * @param outboxPassword its password
 * @param registryV2Url the registry's v2 API, e.g. {@code http://127.0.0.1:8080/apis/registry/v2}
 * @param topics statewarden's topic names
 * @param slotName the replication slot and publication of the outbox source
 */
public record Environment(
    String sinkJdbcUrl,
    String sinkUser,
    String sinkPassword,
    String outboxHost,
    int outboxPort,
    String outboxDatabase,
    String outboxUser,
    String outboxPassword,
    String registryV2Url,
    OutputTopics topics,
    String slotName) {

  /**
   * The connector with this environment's settings wherever it has such a setting.
   *
   * @param connector a connector as read from its file
   * @return the connector for this environment
   */
  public ConnectorConfig apply(ConnectorConfig connector) {
    Map<String, String> c = connector.config();
    Map<String, String> o = new HashMap<>();
    if (c.containsKey("connection.url")) {
      o.put("connection.url", sinkJdbcUrl);
      o.put("connection.username", sinkUser);
      o.put("connection.password", sinkPassword);
    }
    if (c.containsKey("database.hostname")) {
      o.put("database.hostname", outboxHost);
      o.put("database.port", String.valueOf(outboxPort));
      o.put("database.dbname", outboxDatabase);
      o.put("database.user", outboxUser);
      o.put("database.password", outboxPassword);
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
