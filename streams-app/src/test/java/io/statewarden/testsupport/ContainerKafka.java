package io.statewarden.testsupport;

import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A broker in a Testcontainers {@code apache/kafka} container, configured like {@link
 * io.statewarden.embedded.EmbeddedKafka}. Needs a Docker engine; image override: {@code
 * -Dstatewarden.kafka.image}.
 */
final class ContainerKafka implements AutoCloseable {
  static final String IMAGE_PROPERTY = "statewarden.kafka.image";
  static final String DEFAULT_IMAGE = "apache/kafka:4.3.1";

  private final KafkaContainer container;

  private ContainerKafka(KafkaContainer container) {
    this.container = container;
  }

  static ContainerKafka start() {
    KafkaContainer container =
        new KafkaContainer(
                DockerImageName.parse(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE))
                    .asCompatibleSubstituteFor("apache/kafka"))
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .withEnv("KAFKA_MIN_INSYNC_REPLICAS", "1")
            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .withEnv("KAFKA_GROUP_STREAMS_INITIAL_REBALANCE_DELAY_MS", "0");
    container.start();
    return new ContainerKafka(container);
  }

  String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public void close() {
    container.stop();
  }
}
