package io.statewarden.connectors;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Moves sink connectors back to the start of their topics while their worker is down. */
final class SinkRewind {
  private static final Logger LOG = LoggerFactory.getLogger(SinkRewind.class);

  private SinkRewind() {}

  /**
   * Sets each sink connector's consumer group ({@code connect-<name>}) to offset 0 of its topic,
   * retrying while the group still has members (a crashed worker's until its session times out).
   *
   * @param sinkTopics topic by connector name
   */
  /** Sets every sink connector's consumer group back to the start of its topic. */
  static void rewind(String bootstrapServers, Map<String, String> sinkTopics, Duration wait)
      throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      for (Map.Entry<String, String> sink : sinkTopics.entrySet()) {
        String topic = sink.getValue();
        int partitions =
            admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .partitions()
                .size();
        Map<TopicPartition, OffsetAndMetadata> start =
            IntStream.range(0, partitions)
                .boxed()
                .collect(
                    Collectors.toMap(
                        p -> new TopicPartition(topic, p), p -> new OffsetAndMetadata(0)));
        Awaitility.await()
            .atMost(wait)
            .ignoreExceptions()
            .until(
                () -> {
                  admin.alterConsumerGroupOffsets("connect-" + sink.getKey(), start).all().get();
                  return true;
                });
        LOG.info("Rewound connector {} to the start of {}", sink.getKey(), topic);
      }
    }
  }
}
