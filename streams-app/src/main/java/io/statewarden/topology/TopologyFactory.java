package io.statewarden.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.json.EventJson;
import io.statewarden.schema.ProtocolEvent;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the one statewarden topology, with an explicit name for every node, store and topic. Tests
 * build the same topology.
 *
 * <pre>
 * events-avro (topic) -> decode-avro -+-> engine -+-> transitions-sink, backouts-sink, audit-sink
 * events-json (topic) -> decode-json -+           |   (stores: sessions, deadlines)
 *                          \-> dlq-sink <---------/
 * </pre>
 */
public final class TopologyFactory {
  public static final String AVRO_SOURCE = "events-avro";
  public static final String JSON_SOURCE = "events-json";
  public static final String DECODE_AVRO = "decode-avro";
  public static final String DECODE_JSON = "decode-json";
  public static final String ENGINE = "engine";
  public static final String TRANSITIONS_SINK = "transitions-sink";
  public static final String BACKOUTS_SINK = "backouts-sink";
  public static final String AUDIT_SINK = "audit-sink";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String SESSIONS_STORE = "sessions";
  public static final String DEADLINES_STORE = "deadlines";

  /** What the processors need besides the engine. */
  public record Settings(
      Topics topics,
      long punctuationIntervalMs,
      int maxFiresPerPunctuation,
      long catchUpQuietMs,
      int maxRecordBytes,
      String instanceId,
      Map<String, ?> serdeConfig) {}

  private TopologyFactory() {}

  public static Topology build(Engine engine, Settings s) {
    return build(engine, s, avroSerializer(s.serdeConfig()), avroDeserializer(s.serdeConfig()));
  }

  /** With given serdes (tests may pass a registry-backed pair of their own). */
  public static Topology build(
      Engine engine, Settings s, Serializer<Object> avroOut, Deserializer<Object> avroIn) {
    Topics t = s.topics();
    ObjectMapper json = new ObjectMapper();
    DecodeProcessor.Decoder avro =
        (topic, headers, key, value, ts, input) -> {
          Object decoded = avroIn.deserialize(topic, headers, value);
          if (!(decoded instanceof ProtocolEvent e)) {
            throw new IllegalArgumentException(
                "Expected a ProtocolEvent, but the schema gave "
                    + (decoded == null ? "null" : decoded.getClass().getName()));
          }
          return AvroMapping.event(key, e, ts, input);
        };
    DecodeProcessor.Decoder fromJson =
        (topic, headers, key, value, ts, input) ->
            EventJson.read(json.readTree(value), key, ts, input);

    Topology topology = new Topology();
    topology.addSource(
        AVRO_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), t.events());
    topology.addSource(
        JSON_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), t.eventsJson());
    topology.addProcessor(
        DECODE_AVRO,
        () -> new DecodeProcessor(avro, ENGINE, DLQ_SINK, s.maxRecordBytes()),
        AVRO_SOURCE);
    topology.addProcessor(
        DECODE_JSON,
        () -> new DecodeProcessor(fromJson, ENGINE, DLQ_SINK, s.maxRecordBytes()),
        JSON_SOURCE);
    topology.addProcessor(ENGINE, () -> new EngineProcessor(engine, s), DECODE_AVRO, DECODE_JSON);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SESSIONS_STORE), Serdes.String(), Serdes.ByteArray()),
        ENGINE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(DEADLINES_STORE), Serdes.Bytes(), Serdes.ByteArray()),
        ENGINE);
    StringSerializer keys = new StringSerializer();
    topology.addSink(TRANSITIONS_SINK, t.transitions(), keys, avroOut, ENGINE);
    topology.addSink(BACKOUTS_SINK, t.backouts(), keys, avroOut, ENGINE);
    topology.addSink(AUDIT_SINK, t.audit(), keys, avroOut, ENGINE);
    topology.addSink(
        DLQ_SINK,
        t.dlq(),
        new DlqKeySerializer(),
        new ByteArraySerializer(),
        DECODE_AVRO,
        DECODE_JSON,
        ENGINE);
    return topology;
  }

  /** Dead letters keep the raw key bytes; the engine's own dead letters have a string key. */
  static final class DlqKeySerializer implements Serializer<Object> {
    @Override
    public byte[] serialize(String topic, Object key) {
      if (key == null || key instanceof byte[]) return (byte[]) key;
      return key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** Unless the configuration names one, the serdes use {@link SchemaIdentityDatumProvider}. */
  static Map<String, Object> withDatumProvider(Map<String, ?> config) {
    Map<String, Object> c = new HashMap<>(config);
    c.putIfAbsent(DATUM_PROVIDER, SchemaIdentityDatumProvider.class.getName());
    return c;
  }

  static final String DATUM_PROVIDER = "apicurio.registry.avro-datum-provider";

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Serializer<Object> avroSerializer(Map<String, ?> config) {
    Serializer s = new AvroKafkaSerializer<SpecificRecord>();
    s.configure(withDatumProvider(config), false);
    return s;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Deserializer<Object> avroDeserializer(Map<String, ?> config) {
    Map<String, Object> c = withDatumProvider(config);
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    Deserializer d = new AvroKafkaDeserializer<ProtocolEvent>();
    d.configure(c, false);
    return d;
  }
}
