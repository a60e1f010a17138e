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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes operator commands to the events topic as signed command records ({@link CommandRecords}),
 * the way the topology signs its timers: only a record signed with statewarden's key is a command
 * (docs/decisions/0016). The producer is idempotent ({@code acks=all}), so a retried send does not
 * write the record twice; a command written twice anyway (the caller retried) applies once, by its
 * command id.
 *
 * <p>The producer gives up within the writer's wait: {@code max.block.ms} (metadata) is half of it,
 * {@code delivery.timeout.ms} all of it, so {@link #write} returns or throws before the producer
 * could still deliver the record on its own, and the caller can say "retry with the same id".
 */
public final class CommandWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CommandWriter.class);

  /** Past the producer's own delivery timeout, for its sender thread to report it. */
  private static final Duration MARGIN = Duration.ofSeconds(2);

  /** A command that may or may not be in the log: the caller retries with the same command id. */
  public static final class NotLogged extends RuntimeException {
    NotLogged(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final KafkaProducer<byte[], byte[]> producer;
  private final Serializer<Object> values;
  private final RecordMac mac;
  private final String topic;
  private final Duration timeout;

  /**
   * @param producerConfig the producer settings (bootstrap, TLS/SASL), as Kafka Streams' own
   * @param serdeConfig the registry settings of the Avro serializer
   * @param timeout the producer's delivery timeout; a write takes at most 1.5 times it (and 2 s)
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
    // given up within the wait of write(): no delivery after the caller was told it failed
    int ms = Math.toIntExact(timeout.toMillis());
    c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ms);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(ms, 30_000));
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, ms / 2);
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
   * @throws NotLogged when it is not known to be written (the registry or the brokers failed, or
   *     did not answer in time), with the cause; it may still be in the log
   */
  public void write(Command command) {
    byte[] key = command.sessionId().getBytes(StandardCharsets.UTF_8);
    RecordHeaders headers = new RecordHeaders();
    try {
      byte[] value = values.serialize(topic, headers, CommandRecords.of(command));
      mac.sign(key, value, headers);
      producer
          .send(new ProducerRecord<>(topic, null, key, value, headers))
          .get(timeout.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      // a failure around us (registry, brokers), whatever its type: the caller retries the id
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      LOG.warn("Command {} not known to be written to {}", command.commandId(), topic, cause);
      throw new NotLogged(
          "Cannot write command " + command.commandId() + " to " + topic + ": " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotLogged("Interrupted writing command " + command.commandId(), e);
    }
  }

  /**
   * Writes {@code m} to every partition of the events topic, one signed record each, keyed {@code
   * migration:<id>}, its {@code partition} field that partition's (docs/decisions/0018), and waits
   * until the broker has them all.
   *
   * @throws NotLogged when they are not all known to be written within the timeout (registry or
   *     brokers), with the cause; the caller may send the same migration id again: each partition
   *     applies it once
   */
  public void write(Migration m) {
    String k = MigrationRecords.key(m.id());
    byte[] key = k.getBytes(StandardCharsets.UTF_8);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try {
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
      for (Future<RecordMetadata> f : sent) {
        f.get(timeout.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      // as for a command: a failure around us, the caller retries with the same migration id
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      LOG.warn("Migration {} not known to be written to {}", m.id(), topic, cause);
      throw new NotLogged(
          "Cannot write migration " + m.id() + " to " + topic + ": " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NotLogged("Interrupted writing migration " + m.id(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    values.close();
  }
}
