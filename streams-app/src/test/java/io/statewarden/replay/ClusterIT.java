package io.statewarden.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.topology.StatewardenApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real 3-broker cluster (replication factor 3, min.insync.replicas 2) with two instances under
 * load, one broker is stopped: processing goes on, nothing is lost or repeated, every session ends.
 */
@ExtendWith(RealKafka.class)
class ClusterIT {
  @TempDir Path dir;

  static KafkaClusterTestKit cluster() throws Exception {
    Map<String, Short> features = new HashMap<>();
    for (Feature f : Feature.PRODUCTION_FEATURES) {
      if (!f.featureName().equals("kraft.version")) {
        features.put(f.featureName(), f.defaultLevel(MetadataVersion.LATEST_PRODUCTION));
      }
    }
    TestKitNodes nodes =
        new TestKitNodes.Builder(
                BootstrapMetadata.fromVersions(
                    MetadataVersion.LATEST_PRODUCTION, features, "statewarden test"))
            .setCombined(false)
            .setNumBrokerNodes(3)
            .setNumControllerNodes(1)
            .build();
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp("unstable.api.versions.enable", "false")
            .setConfigProp("unstable.feature.versions.enable", "false")
            .setConfigProp("offsets.topic.replication.factor", "3")
            .setConfigProp("transaction.state.log.replication.factor", "3")
            .setConfigProp("transaction.state.log.min.isr", "2")
            .setConfigProp("default.replication.factor", "3")
            .setConfigProp("min.insync.replicas", "2")
            .setConfigProp("log.cleaner.dedupe.buffer.size", String.valueOf(4 << 20))
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return cluster;
  }

  @Test
  void shouldKeepProcessingWhenABrokerStopsDuringLoad(KafkaInfra shared) throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.copy(
        ClusterIT.class.getResourceAsStream("/replay/replay-test.yaml"),
        protocols.resolve("replay-test.yaml"));
    try (KafkaClusterTestKit cluster = cluster()) {
      KafkaInfra infra = new KafkaInfra(cluster.bootstrapServers(), shared.registryUrl());
      try (Deployment d = new Deployment(infra, dir.resolve("state-a"), 4)) {
        d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
        d.extra.put("replication.factor", "3");
        d.extra.put("producer.acks", "all");
        d.start();
        Map<String, String> second = d.settings();
        second.put("state.dir", dir.resolve("state-b").toString());
        try (StatewardenApp b =
            StatewardenApp.start(StatewardenConfig.load(null, Map.of(), second, List.of()))) {
          Awaitility.await().atMost(Duration.ofSeconds(60)).until(b::isRunning);
          int stopped = cluster.brokers().keySet().iterator().next();
          ReplayIT.traffic(d, 11, () -> cluster.brokers().get(stopped).shutdown());
          List<Transition> ts = ReplayIT.awaitQuiet(d);

          assertThat(ts.stream().map(t -> t.getSessionId() + "#" + t.getSeq()).toList())
              .doesNotHaveDuplicates();
          Map<String, Long> count =
              ts.stream()
                  .collect(Collectors.groupingBy(Transition::getSessionId, Collectors.counting()));
          assertThat(count).hasSize(ReplayIT.SESSIONS);
          ts.stream()
              .filter(Transition::getFinal$)
              .forEach(
                  t ->
                      assertThat(t.getSeq())
                          .as(t.getSessionId())
                          .isEqualTo(count.get(t.getSessionId())));
        }
      }
    }
  }
}
