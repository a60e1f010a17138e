package io.statewarden.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates topics on any reachable cluster, tolerating topics that already exist. */
public final class TopicAdmin {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private TopicAdmin() {}

  /**
   * Creates the topics that do not exist yet, at the cluster's default replication factor, and
   * waits until every partition of every named topic has a leader.
   *
   * @param adminConfig the whole client configuration of the admin client (bootstrap servers, TLS,
   *     SASL)
   * @param partitionsByTopic partition count per topic name
   * @param configs topic configs applied to the topics created now (e.g. {@code cleanup.policy})
   * @throws IllegalStateException when the cluster refuses or does not answer within 30 s
   */
  public static void create(
      Map<String, Object> adminConfig,
      Map<String, Integer> partitionsByTopic,
      Map<String, String> configs) {
    if (partitionsByTopic.isEmpty()) {
      return;
    }
    List<NewTopic> topics = new ArrayList<>();
    partitionsByTopic.forEach(
        (name, partitions) ->
            topics.add(
                new NewTopic(name, java.util.Optional.of(partitions), java.util.Optional.empty())
                    .configs(configs)));
    try (Admin admin = Admin.create(adminConfig)) {
      for (Map.Entry<String, KafkaFuture<Void>> e :
          admin.createTopics(topics).values().entrySet()) {
        try {
          e.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          LOG.debug("Created topic {}", e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("Could not create topic " + e.getKey(), ex.getCause());
          }
        }
      }
      awaitLeaders(admin, partitionsByTopic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Timed out after " + TIMEOUT + " creating topics " + partitionsByTopic.keySet(), e);
    }
  }

  private static void awaitLeaders(Admin admin, Map<String, Integer> partitionsByTopic)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin
                .describeTopics(partitionsByTopic.keySet())
                .allTopicNames()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (described.values().stream()
            .flatMap(d -> d.partitions().stream())
            .map(TopicPartitionInfo::leader)
            .allMatch(leader -> leader != null && !leader.isEmpty())) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("Could not describe topics", e.getCause());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("Topics have no leader yet: " + partitionsByTopic.keySet());
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }
}
