package io.statewarden.replay;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.registry.RegistryClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads every committed record of an Avro topic, from the beginning to its current end offsets. */
public final class OutputReader {
  private OutputReader() {}

  /**
   * @param clientConfig bootstrap servers, registry url and any client security settings
   */
  public static List<ConsumerRecord<String, Object>> readAll(
      Map<String, ?> clientConfig, String topic) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
    // the registry client on statewarden's managed Vert.x instance, with its time limits
    values.configure(RegistryClientSettings.withDefaults(c), false);
    List<ConsumerRecord<String, Object>> out = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), values)) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(300)).forEach(out::add);
      }
    }
    return out;
  }
}
