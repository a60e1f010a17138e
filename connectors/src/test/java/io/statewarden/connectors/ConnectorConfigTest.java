package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shipped connector files, and what {@link Environment} changes in them. */
class ConnectorConfigTest {
  static final Path CONFIGS = Path.of("config");

  static final Environment ENV =
      new Environment(
          "jdbc:postgresql://db:6543/reports",
          "sink",
          "s3cret",
          "orders-db",
          7654,
          "shop",
          "cdc",
          "pw",
          "http://registry:1/apis/registry/v2",
          new OutputTopics("p.events.json", "p.transitions", "p.backouts", "p.audit"),
          "slot_p");

  @Test
  void shouldShipTheOutboxSourceAndFourSinks() {
    Map<String, String> classes =
        ConnectorConfig.readAll(CONFIGS).stream()
            .collect(Collectors.toMap(ConnectorConfig::name, c -> c.get("connector.class")));
    assertThat(classes)
        .containsOnlyKeys(
            "statewarden-outbox-source",
            "statewarden-transitions-sink",
            "statewarden-sessions-sink",
            "statewarden-backouts-sink",
            "statewarden-audit-sink");
    assertThat(classes.get("statewarden-outbox-source"))
        .isEqualTo("io.debezium.connector.postgresql.PostgresConnector");
  }

  @Test
  void shouldReadCommittedAndUpsertInEverySink() {
    List<ConnectorConfig> sinks =
        ConnectorConfig.readAll(CONFIGS).stream()
            .filter(c -> c.config().containsKey("topics"))
            .toList();
    assertThat(sinks).hasSize(4);
    for (ConnectorConfig sink : sinks) {
      assertThat(sink.get("consumer.override.isolation.level")).isEqualTo("read_committed");
      assertThat(sink.get("insert.mode")).isEqualTo("upsert");
      assertThat(sink.get("value.converter.apicurio.registry.as-confluent")).isEqualTo("true");
      assertThat(sink.get("value.converter.apicurio.registry.use-id")).isEqualTo("contentId");
    }
  }

  @Test
  void shouldFillInTheEnvironmentAndLeaveTheRest() {
    ConnectorConfig audit = ENV.apply(ConnectorConfig.read(CONFIGS.resolve("audit-sink.json")));
    assertThat(audit.get("topics")).isEqualTo("p.audit");
    assertThat(audit.get("connection.url")).isEqualTo("jdbc:postgresql://db:6543/reports");
    assertThat(audit.get("connection.username")).isEqualTo("sink");
    assertThat(audit.get("value.converter.apicurio.registry.url"))
        .isEqualTo("http://registry:1/apis/registry/v2");
    assertThat(audit.get("primary.key.mode")).isEqualTo("kafka");
    assertThat(audit.config()).doesNotContainKey("database.hostname");

    ConnectorConfig source = ENV.apply(ConnectorConfig.read(CONFIGS.resolve("outbox-source.json")));
    assertThat(source.get("database.hostname")).isEqualTo("orders-db");
    assertThat(source.get("database.port")).isEqualTo("7654");
    assertThat(source.get("database.dbname")).isEqualTo("shop");
    assertThat(source.get("slot.name")).isEqualTo("slot_p");
    assertThat(source.get("publication.name")).isEqualTo("slot_p");
    assertThat(source.get("transforms.outbox.route.topic.replacement")).isEqualTo("p.events.json");
    assertThat(source.config()).doesNotContainKey("connection.url");
  }

  @Test
  void shouldTurnARegistryV3UrlIntoItsV2Api() {
    assertThat(ConnectLauncher.registryV2("http://127.0.0.1:8080/apis/registry/v3"))
        .isEqualTo("http://127.0.0.1:8080/apis/registry/v2");
    assertThat(ConnectLauncher.registryV2("http://127.0.0.1:8080/apis/registry/v2"))
        .isEqualTo("http://127.0.0.1:8080/apis/registry/v2");
  }
}
