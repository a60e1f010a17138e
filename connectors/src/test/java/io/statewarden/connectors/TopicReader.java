package io.statewarden.connectors;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.testsupport.KafkaInfra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads an Avro output topic from the start to its last stable offset, as a {@code read_committed}
 * consumer sees it: everything committed when the read began, nothing more, nothing less.
 */
final class TopicReader {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaInfra infra;

  TopicReader(KafkaInfra infra) {
    this.infra = infra;
  }

  <T> List<T> readAll(String topic, Class<T> type) {
    Map<String, Object> c = infra.clientConfig();
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
    values.configure(c, false);
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), values)) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts); // the LSO when read_committed
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("Could not read " + topic + " to " + end + " in " + TIMEOUT);
        }
        for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(topic, r.partition()))) {
            out.add(type.cast(r.value()));
          }
        }
      }
    }
    return out;
  }
}
