package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
          "orders-db",
          7654,
          "shop",
          "cdc",
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
  void shouldReferenceEveryPasswordThroughTheWorkersConfigProvider() {
    // given: the shipped files, as the launcher sends them
    for (ConnectorConfig c : ConnectorConfig.readAll(CONFIGS)) {
      ConnectorConfig sent = ENV.apply(c);

      // then: no password in the config Connect stores and returns, only a reference
      assertThat(Environment.literalSecrets(sent)).as(c.name()).isEmpty();
      assertThat(sent.config())
          .as(c.name())
          .hasEntrySatisfying(
              c.config().containsKey("connection.url")
                  ? "connection.password"
                  : "database.password",
              v -> assertThat(v).matches("\\$\\{env:STATEWARDEN_(SINK|OUTBOX)_PASSWORD}"));
      assertThat(sent.environmentReferences())
          .isSubsetOf("STATEWARDEN_SINK_PASSWORD", "STATEWARDEN_OUTBOX_PASSWORD")
          .allMatch(v -> v.matches(ConnectWorker.SECRET_VARIABLES));
    }
  }

  @Test
  void shouldRefuseAConnectorThatHoldsAPasswordItself() {
    ConnectorConfig audit = ConnectorConfig.read(CONFIGS.resolve("audit-sink.json"));
    ConnectorConfig literal = audit.with(Map.of("connection.password", "s3cret"));
    ConnectorConfig secret =
        audit.with(Map.of("value.converter.apicurio.auth.client.secret", "abc"));

    assertThatThrownBy(() -> ENV.apply(literal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connection.password")
        .hasMessageContaining("${env:")
        .hasMessageNotContaining("s3cret");
    assertThat(Environment.literalSecrets(secret))
        .containsExactly("value.converter.apicurio.auth.client.secret");
    assertThat(
            Environment.literalSecrets(
                audit.with(Map.of("connection.password", "${file:/etc/c/db.properties:pw}"))))
        .isEmpty();
  }

  @Test
  void shouldGiveTheWorkerAnEnvironmentProviderLimitedToSecretVariables() {
    Map<String, String> p =
        ConnectWorker.workerProperties(new ConnectWorker.Settings("b:1", "g", "/p", 8083, 1000));

    assertThat(p)
        .containsEntry("config.providers", "env")
        .containsEntry(
            "config.providers.env.class",
            "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
    String allow = p.get("config.providers.env.param.allowlist.pattern");
    assertThat("STATEWARDEN_SINK_PASSWORD").matches(allow);
    assertThat("STATEWARDEN_REGISTRY_CLIENT_SECRET").matches(allow);
    assertThat("JAVA_HOME").doesNotMatch(allow);
    assertThat("STATEWARDEN_SINK_USER").doesNotMatch(allow);
  }

  @Test
  void shouldTurnARegistryV3UrlIntoItsV2Api() {
    assertThat(ConnectLauncher.registryV2("http://127.0.0.1:8080/apis/registry/v3"))
        .isEqualTo("http://127.0.0.1:8080/apis/registry/v2");
    assertThat(ConnectLauncher.registryV2("http://127.0.0.1:8080/apis/registry/v2"))
        .isEqualTo("http://127.0.0.1:8080/apis/registry/v2");
  }
}
