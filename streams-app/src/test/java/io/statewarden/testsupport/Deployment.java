package io.statewarden.testsupport;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.config.Topics;
import io.statewarden.schema.ProtocolEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;

/**
 * One statewarden deployment for an integration test: its own topics, application id and state
 * directory on the shared broker and registry; producers for both input topics; read_committed
 * readers of the outputs.
 */
public final class Deployment implements AutoCloseable {
  public final KafkaInfra infra;
  public final Topics topics;
  public final String appId;
  public final Path stateDir;
  private final KafkaProducer<String, Object> avro;
  private final KafkaProducer<byte[], byte[]> raw;
  private StatewardenApp app;

  /** The signing key of every test deployment (a test secret, not a real one). */
  public static final String SIGNING_KEY = "test-signing-key-0123456789abcdef0123456789";

  /** Settings added to (or overriding) the defaults of {@link #settings()}. */
  public final Map<String, String> extra = new HashMap<>();

  @SuppressWarnings({"unchecked", "rawtypes"})
  public Deployment(KafkaInfra infra, Path stateDir, int partitions) {
    this.infra = infra;
    String p = infra.uniqueName("sw") + ".";
    this.topics =
        new Topics(
            p + "events",
            p + "events.json",
            p + "transitions",
            p + "backouts",
            p + "audit",
            p + "dlq");
    this.appId = p + "app";
    this.stateDir = stateDir;
    Map<String, Integer> all = new LinkedHashMap<>();
    topics.all().forEach(t -> all.put(t, partitions));
    infra.createTopics(all);
    Map<String, Object> pc = infra.clientConfig();
    pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    pc.put("apicurio.registry.auto-register", "true");
    AvroKafkaSerializer<ProtocolEvent> ser = new AvroKafkaSerializer<>();
    ser.configure(pc, false);
    avro = new KafkaProducer<>(pc, new StringSerializer(), (Serializer) ser);
    raw = new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public Map<String, String> settings() {
    Map<String, String> s = new HashMap<>();
    s.put("bootstrap.servers", infra.bootstrapServers());
    s.put("apicurio.registry.url", infra.registryUrl());
    s.put("application.id", appId);
    s.put("state.dir", stateDir.toString());
    s.put("replication.factor", "1");
    s.put("commit.interval.ms", "100");
    s.put("session.timeout.ms", "6000"); // a killed instance's partitions move on in seconds
    s.put("heartbeat.interval.ms", "1000");
    s.put(StatewardenConfig.PUNCTUATION_INTERVAL_MS, "100");
    s.put(StatewardenConfig.HTTP_PORT, "0");
    s.put(StatewardenConfig.TOPIC_EVENTS, topics.events());
    s.put(StatewardenConfig.TOPIC_EVENTS_JSON, topics.eventsJson());
    s.put(StatewardenConfig.TOPIC_TRANSITIONS, topics.transitions());
    s.put(StatewardenConfig.TOPIC_BACKOUTS, topics.backouts());
    s.put(StatewardenConfig.TOPIC_AUDIT, topics.audit());
    s.put(StatewardenConfig.TOPIC_DLQ, topics.dlq());
    s.put(StatewardenConfig.SIGNING_KEY, SIGNING_KEY);
    s.putAll(extra);
    return s;
  }

  /** Starts the processor and waits until its stream threads run. */
  public StatewardenApp start() throws Exception {
    app = StatewardenApp.start(StatewardenConfig.load(null, Map.of(), settings(), List.of()));
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(app::isRunning);
    return app;
  }

  /** The running instance, or null. */
  public StatewardenApp app() {
    return app;
  }

  public void stop() {
    if (app != null) {
      app.close();
      app = null;
    }
  }

  public void sendAvro(String key, ProtocolEvent e, long timestamp) {
    avro.send(new ProducerRecord<>(topics.events(), null, timestamp, key, e));
    avro.flush();
  }

  public void sendJson(String key, String json, long timestamp) {
    sendRaw(topics.eventsJson(), key, json.getBytes(StandardCharsets.UTF_8), timestamp);
  }

  /** Sends and waits for the broker's answer: where the record landed. */
  public RecordMetadata sendRaw(String topic, String key, byte[] value, long timestamp) {
    return sendRaw(topic, key, value, timestamp, Map.of());
  }

  /** {@link #sendRaw(String, String, byte[], long)} with these headers (UTF-8 values). */
  public RecordMetadata sendRaw(
      String topic, String key, byte[] value, long timestamp, Map<String, String> headers) {
    byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, timestamp, k, value);
    headers.forEach((n, v) -> r.headers().add(n, v.getBytes(StandardCharsets.UTF_8)));
    try {
      return raw.send(r).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  public static ProtocolEvent event(
      String session, String id, String protocol, String type, Map<String, Object> payload) {
    return ProtocolEvent.newBuilder()
        .setEventId(id)
        .setSessionId(session)
        .setProtocol(protocol)
        .setType(type)
        .setPayload(new HashMap<>(payload))
        .build();
  }

  public static String json(
      String session, String id, String protocol, String type, String payload) {
    return "{\"eventId\":\""
        + id
        + "\",\"sessionId\":\""
        + session
        + "\",\"protocol\":\""
        + protocol
        + "\",\"type\":\""
        + type
        + "\",\"payload\":"
        + payload
        + "}";
  }

  /**
   * Every record of an Avro output topic, as a read_committed consumer sees it, once it has at
   * least {@code min}.
   */
  public <T> List<T> awaitAvro(String topic, Class<T> type, int min, Duration timeout) {
    Map<String, Object> c = infra.clientConfig();
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    AvroKafkaDeserializer<Object> de = new AvroKafkaDeserializer<>();
    de.configure(c, false);
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer = consumer(new StringDeserializer(), de)) {
      assign(consumer, topic);
      long end = System.nanoTime() + timeout.toNanos();
      while (out.size() < min) {
        if (System.nanoTime() > end) {
          throw new AssertionError(
              "Expected at least "
                  + min
                  + " records on "
                  + topic
                  + " within "
                  + timeout
                  + ", but got "
                  + out.size()
                  + ": "
                  + out);
        }
        for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(type.cast(r.value()));
        }
      }
      // anything more that is already committed
      for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(500))) {
        out.add(type.cast(r.value()));
      }
    }
    return out;
  }

  /** Every committed record of an Avro output topic up to its current end offsets. */
  public <T> List<T> readAll(String topic, Class<T> type) {
    return io.statewarden.replay.OutputReader.readAll(infra.clientConfig(), topic).stream()
        .map(r -> type.cast(r.value()))
        .toList();
  }

  public List<ConsumerRecord<byte[], byte[]>> awaitRaw(String topic, int min, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        consumer(new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      assign(consumer, topic);
      Awaitility.await()
          .atMost(timeout)
          .pollInSameThread()
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= min;
              });
    }
    return out;
  }

  private <K, V> KafkaConsumer<K, V> consumer(
      org.apache.kafka.common.serialization.Deserializer<K> k,
      org.apache.kafka.common.serialization.Deserializer<V> v) {
    Map<String, Object> c = infra.clientConfig();
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(c, k, v);
  }

  private static void assign(KafkaConsumer<?, ?> consumer, String topic) {
    List<TopicPartition> parts =
        consumer.partitionsFor(topic).stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
  }

  @Override
  public void close() {
    stop();
    avro.close();
    raw.close();
  }
}
