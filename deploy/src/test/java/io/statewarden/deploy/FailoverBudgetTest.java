package io.statewarden.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The failover settings shipped in the manifests (decision 24): the broker must accept them, and
 * together they must keep a SIGKILLed instance's partitions back within issue 16's 3 s. A killed
 * instance is noticed after {@code session.timeout.ms} (plus up to one {@code
 * heartbeat.interval.ms} until the survivor hears of it), and its open transaction, which holds
 * {@code read_committed} readers of its partitions back, is aborted by the broker at {@code
 * transaction.timeout.ms} on its next check for timed-out transactions ({@code
 * transaction.abort.timed.out.transaction.cleanup.interval.ms}); both bounds are checked
 * (docs/benchmarks.md, case 5).
 */
class FailoverBudgetTest {
  static final int BUDGET_MS = 3000;

  /** Kafka's defaults where a file sets nothing (Kafka Streams' for the transaction timeout). */
  static final Map<String, Integer> DEFAULTS =
      Map.of(
          "session.timeout.ms", 45_000,
          "heartbeat.interval.ms", 3_000,
          "transaction.timeout.ms", 10_000,
          "group.min.session.timeout.ms", 6_000,
          "transaction.abort.timed.out.transaction.cleanup.interval.ms", 10_000);

  @Test
  void shouldShipFailoverSettingsTheKubernetesBrokersAcceptWithinTheBudget() throws Exception {
    Map<String, String> client = new HashMap<>();
    Map<String, String> broker = new HashMap<>();
    for (Manifests.Doc d : Manifests.all()) {
      if (!d.file().toString().contains("base")) continue;
      if (d.kind().equals("apps/v1/StatefulSet") && d.name().equals("statewarden")) {
        for (JsonNode c : d.tree().path("spec").path("template").path("spec").path("containers")) {
          for (JsonNode e : c.path("env"))
            client.put(e.path("name").asText(), e.path("value").asText());
        }
      }
      if (d.kind().equals("kafka.strimzi.io/v1beta2/Kafka")) {
        d.tree()
            .path("spec")
            .path("kafka")
            .path("config")
            .fields()
            .forEachRemaining(e -> broker.put(e.getKey(), e.getValue().asText()));
      }
    }
    assertThat(client).as("the statewarden StatefulSet's env").isNotEmpty();
    check("k8s", client, broker);
  }

  @Test
  void shouldShipFailoverSettingsTheComposeBrokerAcceptsWithinTheBudget() throws Exception {
    JsonNode services =
        Manifests.YAML
            .readTree(Manifests.ROOT.resolve("deploy/compose.yaml").toFile())
            .path("services");
    Map<String, String> client = new HashMap<>();
    services
        .path("statewarden")
        .path("environment")
        .fields()
        .forEachRemaining(e -> client.put(e.getKey(), e.getValue().asText()));
    Map<String, String> broker = new HashMap<>();
    // the apache/kafka image: KAFKA_A_B sets a.b
    services
        .path("kafka")
        .path("environment")
        .fields()
        .forEachRemaining(
            e ->
                broker.put(
                    e.getKey().replaceFirst("^KAFKA_", "").toLowerCase().replace('_', '.'),
                    e.getValue().asText()));
    check("compose", client, broker);
  }

  @Test
  void shouldRefuseTheSettingsShippedBeforeDecision24() {
    // session.timeout.ms 15 s, the rest Kafka's defaults: 15 s to notice, 10-20 s to abort
    Map<String, String> before = Map.of("STATEWARDEN_SESSION_TIMEOUT_MS", "15000");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> check("before", before, Map.of()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("session.timeout.ms");
    // a short session timeout the broker refuses (group.min.session.timeout.ms 6 s by default)
    Map<String, String> refused =
        Map.of(
            "STATEWARDEN_SESSION_TIMEOUT_MS", "2000",
            "STATEWARDEN_HEARTBEAT_INTERVAL_MS", "500",
            "STATEWARDEN_TRANSACTION_TIMEOUT_MS", "2000");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                check(
                    "refused",
                    refused,
                    Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("group.min.session.timeout.ms");
  }

  private static void check(String where, Map<String, String> env, Map<String, String> broker) {
    int session = value(env, "STATEWARDEN_SESSION_TIMEOUT_MS", "session.timeout.ms");
    int heartbeat = value(env, "STATEWARDEN_HEARTBEAT_INTERVAL_MS", "heartbeat.interval.ms");
    int txn = value(env, "STATEWARDEN_TRANSACTION_TIMEOUT_MS", "transaction.timeout.ms");
    int minSession = value(broker, "group.min.session.timeout.ms", "group.min.session.timeout.ms");
    int cleanup =
        value(
            broker,
            "transaction.abort.timed.out.transaction.cleanup.interval.ms",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms");
    assertThat(session)
        .as(where + ": session.timeout.ms against the broker's group.min.session.timeout.ms")
        .isGreaterThanOrEqualTo(minSession);
    assertThat(heartbeat * 3)
        .as(where + ": heartbeat.interval.ms at most a third of session.timeout.ms")
        .isLessThanOrEqualTo(session);
    assertThat(session + heartbeat)
        .as(where + ": session.timeout.ms + heartbeat.interval.ms, noticing a dead member")
        .isLessThanOrEqualTo(BUDGET_MS);
    assertThat(txn + cleanup)
        .as(
            where
                + ": transaction.timeout.ms + the broker's"
                + " transaction.abort.timed.out.transaction.cleanup.interval.ms, aborting the"
                + " dead member's transaction")
        .isLessThanOrEqualTo(BUDGET_MS);
    // a transaction lasts about commit.interval.ms (100 ms, statewarden's default) and a batch
    assertThat(txn).as(where + ": transaction.timeout.ms").isGreaterThanOrEqualTo(1000);
  }

  private static int value(Map<String, String> m, String key, String defaultKey) {
    String v = m.get(key);
    return v == null ? DEFAULTS.get(defaultKey) : Integer.parseInt(v);
  }
}
