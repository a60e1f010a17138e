package io.statewarden.api;

import io.statewarden.api.SessionQuery.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Answers {@code GET /dead-letters}: the last records of the dead-letter topic, read with a bounded
 * seek back from the end of each partition (at most {@code limit} records per partition, newest
 * first overall), with their headers (the error), key and value as text (cut at {@value #MAX_TEXT}
 * characters). One consumer without a group, used by one request at a time.
 */
public final class DeadLetters implements AutoCloseable {
  static final int MAX_LIMIT = 100;
  static final int MAX_TEXT = 2000;
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;

  /**
   * @param consumerConfig the application's client settings (bootstrap, security); no group is used
   */
  public DeadLetters(String topic, Map<String, Object> consumerConfig) {
    this.topic = topic;
    Map<String, Object> c = new HashMap<>(consumerConfig);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    this.consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  synchronized Answer last(int limit) {
    int n = Math.max(1, Math.min(limit, MAX_LIMIT));
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    try {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic, WAIT).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, WAIT);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts, WAIT);
      consumer.assign(parts);
      for (TopicPartition tp : parts) {
        consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - n));
      }
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (parts.stream().anyMatch(tp -> consumer.position(tp, WAIT) < end.get(tp))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) got.add(r);
        }
      }
    } catch (TimeoutException e) {
      return new Answer(
          503, Map.of("error", "the dead-letter topic did not answer in time", "retry", true));
    } catch (AuthorizationException e) {
      // a deployment matter, not the caller's: the app's Kafka user lacks Read on the topic
      return new Answer(
          503,
          Map.of(
              "error",
              "statewarden's Kafka user may not read the dead-letter topic "
                  + topic
                  + " (grant it Read: docs/security.md)",
              "retry",
              false));
    } finally {
      consumer.unsubscribe();
    }
    got.sort(
        Comparator.comparingLong((ConsumerRecord<byte[], byte[]> r) -> r.timestamp()).reversed());
    return new Answer(
        200, Map.of("records", got.stream().limit(n).map(DeadLetters::view).toList()));
  }

  private static Map<String, Object> view(ConsumerRecord<byte[], byte[]> r) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("partition", r.partition());
    v.put("offset", r.offset());
    v.put("timestamp", r.timestamp());
    Map<String, String> headers = new LinkedHashMap<>();
    for (Header h : r.headers()) headers.put(h.key(), text(h.value()));
    v.put("headers", headers);
    v.put("key", text(r.key()));
    v.put("value", text(r.value()));
    return v;
  }

  private static String text(byte[] b) {
    if (b == null) return null;
    String s = new String(b, StandardCharsets.UTF_8);
    return s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) + "…" : s;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
