package io.statewarden.topology;

import io.statewarden.engine.Command;
import io.statewarden.engine.Migration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
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

  /**
   * Writes {@code m} to every partition of the events topic, one signed record each, keyed {@code
   * migration:<id>}, its {@code partition} field that partition's (docs/decisions/0018), and waits
   * until the broker has them all.
   *
   * @throws IllegalStateException when they are not all written within the timeout, with the cause
   *     (the caller may send the same migration id again: each partition applies it once)
   */
  public void write(Migration m) {
    String k = MigrationRecords.key(m.id());
    byte[] key = k.getBytes(StandardCharsets.UTF_8);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    int partitions = producer.partitionsFor(topic).size();
    for (int p = 0; p < partitions; p++) {
      Migration mine =
          new Migration(
              m.id(),
              m.operator(),
              m.reason(),
              m.protocol(),
              m.from(),
              m.to(),
              m.map(),
              m.states(),
              m.ids(),
              m.total(),
              m.chunkSize(),
              p,
              0,
              0,
              null);
      RecordHeaders headers = new RecordHeaders();
      byte[] value = values.serialize(topic, headers, MigrationRecords.of(mine));
      mac.sign(key, value, headers);
      sent.add(producer.send(new ProducerRecord<>(topic, p, key, value, headers)));
    }
    try {
      for (Future<RecordMetadata> f : sent) {
        f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "Cannot write migration " + m.id() + " to " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted writing migration " + m.id(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    values.close();
  }
}
