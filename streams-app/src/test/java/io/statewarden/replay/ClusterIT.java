package io.statewarden.replay;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a real 3-broker cluster (replication factor 3, min.insync.replicas 2) with three instances
 * (each its own JVM) under continuous load, one instance is killed with SIGKILL and one broker is
 * stopped, then the instance starts again: a read_committed consumer sees every transition once,
 * seq without gaps, one audit per fired deadline, and every session ends.
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
      try (Deployment d = new Deployment(infra, dir.resolve("state"), 6)) {
        d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
        d.extra.put("replication.factor", "3");
        d.extra.put("producer.acks", "all");
        Process[] instances = new Process[3];
        for (int i = 0; i < 3; i++) {
          d.extra.put("state.dir", dir.resolve("state-" + i).toString());
          instances[i] = ReplayIT.runJar(d);
        }
        try {
          int broker = cluster.brokers().keySet().iterator().next();
          ReplayIT.traffic(
              d,
              11,
              () -> {
                try {
                  instances[0].destroyForcibly().waitFor(); // kill -9 one instance
                  cluster.brokers().get(broker).shutdown(); // and stop a broker
                  d.extra.put("state.dir", dir.resolve("state-0").toString());
                  instances[0] = ReplayIT.runJar(d);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
          List<Transition> ts = ReplayIT.awaitQuiet(d);

          ReplayIT.assertExactlyOnce(d, ts);
        } finally {
          for (Process p : instances) {
            p.destroy();
            p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
          }
        }
      }
    }
  }
}
