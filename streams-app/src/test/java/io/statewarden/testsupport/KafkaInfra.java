package io.statewarden.testsupport;

import io.statewarden.app.TopicAdmin;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared broker and registry of an integration test run, injected by {@link RealKafka}.
 *
 * <p>Every test class talks to the same broker and registry, so name topics, consumer groups,
 * transactional ids and Kafka Streams application ids with {@link #uniqueName(String)}.
 *
 * @param bootstrapServers the broker, for {@code bootstrap.servers}
 * @param registryUrl the registry's v3 API, for {@code apicurio.registry.url}
 */
public record KafkaInfra(String bootstrapServers, String registryUrl) {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  /**
   * A name no other test of this run uses: {@code <prefix>-<n>-<random>}.
   *
   * @param prefix readable start of the name, e.g. {@code events}
   * @return a fresh topic, group or application id
   */
  public String uniqueName(String prefix) {
    return prefix
        + "-"
        + COUNTER.incrementAndGet()
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Creates the topics (replication factor 1) unless they exist, and waits for their leaders.
   *
   * @param partitionsByTopic partition count per topic name
   */
  public void createTopics(Map<String, Integer> partitionsByTopic) {
    createTopics(partitionsByTopic, Map.of());
  }

  /**
   * Creates the topics (replication factor 1) with topic configs unless they exist, and waits for
   * their leaders.
   *
   * @param partitionsByTopic partition count per topic name
   * @param configs topic configs, e.g. {@code cleanup.policy=compact}
   */
  public void createTopics(Map<String, Integer> partitionsByTopic, Map<String, String> configs) {
    TopicAdmin.create(Map.of("bootstrap.servers", bootstrapServers), partitionsByTopic, configs);
  }

  /**
   * Client settings pointing at the broker and the registry, to which a test adds its own.
   *
   * @return a mutable map with {@code bootstrap.servers} and {@code apicurio.registry.url}
   */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrapServers);
    config.put("apicurio.registry.url", registryUrl);
    return config;
  }
}
