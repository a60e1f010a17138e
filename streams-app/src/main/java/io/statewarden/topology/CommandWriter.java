package io.statewarden.topology;

import io.statewarden.engine.Command;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes operator commands to the events topic as signed command records ({@link CommandRecords}),
 * the way the topology signs its timers: only a record signed with statewarden's key is a command
 * (docs/decisions/0016). The producer is idempotent ({@code acks=all}), so a retried send does not
 * write the record twice; a command written twice anyway (the caller retried) applies once, by its
 * command id.
 */
public final class CommandWriter implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final Serializer<Object> values;
  private final RecordMac mac;
  private final String topic;
  private final Duration timeout;

  /**
   * @param producerConfig the producer settings (bootstrap, TLS/SASL), as Kafka Streams' own
   * @param serdeConfig the registry settings of the Avro serializer
   */
  public CommandWriter(
      Map<String, Object> producerConfig,
      Map<String, ?> serdeConfig,
      RecordMac mac,
      String topic,
      Duration timeout) {
    Map<String, Object> c = new HashMap<>(producerConfig);
    c.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    this.producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    this.values = TopologyFactory.avroSerializer(serdeConfig);
    this.mac = mac;
    this.topic = topic;
    this.timeout = timeout;
  }

  /**
   * Writes {@code command} (its time is the record's, set by the broker's clock as for any
   * producer) and waits until the broker has it.
   *
   * @throws IllegalStateException when it is not written within the timeout, with the cause
   */
  public void write(Command command) {
    byte[] key = command.sessionId().getBytes(StandardCharsets.UTF_8);
    RecordHeaders headers = new RecordHeaders();
    byte[] value = values.serialize(topic, headers, CommandRecords.of(command));
    mac.sign(key, value, headers);
    try {
      producer
          .send(new ProducerRecord<>(topic, null, key, value, headers))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Cannot write command " + command.commandId() + " to " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted writing command " + command.commandId(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    values.close();
  }
}
