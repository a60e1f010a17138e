package io.statewarden.topology;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.json.EventJson;
import io.statewarden.metrics.Metrics;
import io.statewarden.registry.RegistryClientSettings;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.state.SkipListStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * events-json (topic) -> decode-json -> normalized-events-sink (events topic)
 * events-avro (topic) -> decode-avro -> engine -> transitions-sink, backouts-sink, audit-sink
 *                                        |  (store: sessions; deadline index in memory)
 *                                        +-> timers-sink (events topic)
 * decode-json, decode-avro, engine -> dlq-sink
 * </pre>
 *
 * <p>The events topic is the one log the engine reads: JSON input is re-written into it, and due
 * deadlines are written into it as timer records. A replay topology reads only that log, has no
 * JSON path and no punctuator, and writes to its own output topics.
 */
public final class TopologyFactory {
  public static final String AVRO_SOURCE = "events-avro";
  public static final String JSON_SOURCE = "events-json";
  public static final String DECODE_AVRO = "decode-avro";
  public static final String DECODE_JSON = "decode-json";
  public static final String ENGINE = "engine";
  public static final String TRANSITIONS_SINK = "transitions-sink";
  public static final String BACKOUTS_SINK = "backouts-sink";

  /**
   * Where the engine sends audit records: live, the rejections index ({@link RecentRejections}),
   * which passes them on to {@link #AUDIT_TOPIC_SINK}; in a replay, the audit topic's sink itself.
   */
  public static final String AUDIT_SINK = "audit-sink";

  public static final String AUDIT_TOPIC_SINK = "audit-topic-sink";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String NORMALIZED_SINK = "normalized-events-sink";
  public static final String TIMERS_SINK = "timers-sink";
  public static final String SESSIONS_STORE = "sessions";

  /** The last rejections of each session id, for the console (decision 0015). */
  public static final String REJECTIONS_STORE = "rejections";

  /** The session list index ({@link io.statewarden.state.SessionIndex}): in memory, unlogged. */
  public static final String SESSION_INDEX_STORE = "sessions-by-state";

  /** Each migration's progress in the task's partition (decision 0018), changelogged. */
  public static final String MIGRATIONS_STORE = "migrations";

  /**
   * What the processors need besides the engine. {@code mac} signs the records statewarden writes
   * into the events topic and verifies the ones it reads there (docs/decisions/0008); {@code
   * batchTimers} logs the timers of a punctuation as one record (decision 0023), off: one record
   * per timer, as earlier versions did.
   */
  public record Settings(
      Topics topics,
      long punctuationIntervalMs,
      int maxFiresPerPunctuation,
      int maxRecordBytes,
      String instanceId,
      Map<String, ?> serdeConfig,
      CatchUp catchUp,
      Metrics metrics,
      RecordMac mac,
      boolean batchTimers,
      boolean auditAccepted) {
    /**
     * Settings for {@code topics} and {@code instanceId}, every other one at the builder's default:
     * a punctuation of 1,000 fires every second, records up to 1 MiB, no serde settings, input
     * handed over synchronously (a replay: the catch-up gate opens at once), fresh metrics, a fresh
     * random signing key (so only the records this topology signs verify), timers logged in batches
     * (decision 0023), every accepted event audited ({@code statewarden.audit.accepted}).
     */
    public static Builder builder(Topics topics, String instanceId) {
      return new Builder(topics, instanceId);
    }

    /** See {@link Settings#builder}. */
    public static final class Builder {
      private final Topics topics;
      private final String instanceId;
      private long punctuationIntervalMs = 1000;
      private int maxFiresPerPunctuation = 1000;
      private int maxRecordBytes = 1 << 20;
      private Map<String, ?> serdeConfig = Map.of();
      private CatchUp catchUp = CatchUp.SYNCHRONOUS_INPUT;
      private Metrics metrics;
      private RecordMac mac;
      private boolean batchTimers = true;
      private boolean auditAccepted = true;

      private Builder(Topics topics, String instanceId) {
        this.topics = topics;
        this.instanceId = instanceId;
      }

      public Builder punctuation(long intervalMs, int maxFires) {
        this.punctuationIntervalMs = intervalMs;
        this.maxFiresPerPunctuation = maxFires;
        return this;
      }

      public Builder maxRecordBytes(int bytes) {
        this.maxRecordBytes = bytes;
        return this;
      }

      public Builder serdeConfig(Map<String, ?> config) {
        this.serdeConfig = config;
        return this;
      }

      /** Live input: the gate that holds a task's deadlines until it has caught up. */
      public Builder catchUp(CatchUp gate) {
        this.catchUp = gate;
        return this;
      }

      public Builder metrics(Metrics m) {
        this.metrics = m;
        return this;
      }

      public Builder mac(RecordMac m) {
        this.mac = m;
        return this;
      }

      /** Off: one timer record per due session, as versions before decision 0023 wrote. */
      public Builder batchTimers(boolean batch) {
        this.batchTimers = batch;
        return this;
      }

      /**
       * Off: no audit record for an event accepted without a failure (its transition records the
       * same move; docs/operations.md, {@code statewarden.audit.accepted}).
       */
      public Builder auditAccepted(boolean publish) {
        this.auditAccepted = publish;
        return this;
      }

      public Settings build() {
        return new Settings(
            topics,
            punctuationIntervalMs,
            maxFiresPerPunctuation,
            maxRecordBytes,
            instanceId,
            serdeConfig,
            catchUp,
            metrics == null ? new Metrics() : metrics,
            mac == null ? RecordMac.of(RecordMac.randomKey(), List.of()) : mac,
            batchTimers,
            auditAccepted);
      }
    }
  }

  private TopologyFactory() {}

  public static Topology build(Engine engine, Settings s) {
    return build(engine, s, true);
  }

  /**
   * The live topology of an instance that is starting, its registry just reached: as {@link
   * #build(Engine, Settings)}, with the registry's ids of the contract's types resolved now, not at
   * each type's first record ({@link ContractSerializer#resolveAhead}, decision 0029).
   */
  public static Topology buildResolvedAhead(Engine engine, Settings s) {
    Serializer<Object> out = avroSerializer(s.serdeConfig());
    if (out instanceof ContractSerializer cs) cs.resolveAhead(s.topics());
    return build(engine, s, out, avroDeserializer(s.serdeConfig()), true);
  }

  /** The live topology, or with {@code live} false the replay topology. */
  public static Topology build(Engine engine, Settings s, boolean live) {
    return build(
        engine, s, avroSerializer(s.serdeConfig()), avroDeserializer(s.serdeConfig()), live);
  }

  /** With given serdes (tests may pass a registry-free pair of their own). */
  public static Topology build(
      Engine engine,
      Settings s,
      Serializer<Object> avroOut,
      Deserializer<Object> avroIn,
      boolean live) {
    Topics t = s.topics();
    // events framed with the contract's own id are read straight into the engine's Event; any
    // other record, and statewarden's own timer and command records, through Apicurio's path
    ContractEvents direct =
        avroOut instanceof ContractSerializer cs ? new ContractEvents(cs) : null;
    DecodeProcessor.Decoder avro =
        (topic, headers, key, value, ts, input, origin) -> {
          if (direct != null && origin != DecodeProcessor.Origin.TIMER) {
            Event e = direct.decode(topic, value, key, ts, input);
            if (e != null) return e;
          }
          Object decoded = avroIn.deserialize(topic, headers, value);
          if (!(decoded instanceof ProtocolEvent e)) {
            throw new IllegalArgumentException(
                "Expected a ProtocolEvent, but the schema gave "
                    + (decoded == null ? "null" : decoded.getClass().getName()));
          }
          if (origin == DecodeProcessor.Origin.TIMER) {
            // statewarden's own records, by type
            if (TimerRecords.isTimer(e)) {
              return TimerRecords.read(e);
            }
            if (CommandRecords.isCommand(e)) {
              return CommandRecords.read(key, e, ts, input);
            }
            if (MigrationRecords.isMigration(e)) {
              return MigrationRecords.read(e, ts, input);
            }
          }
          // any other record of a reserved type reaches the engine as an event, which rejects
          // it RESERVED_TYPE
          return AvroMapping.event(key, e, ts, input);
        };
    DecodeProcessor.Decoder fromJson =
        (topic, headers, key, value, ts, input, origin) -> {
          // the reserved type passes: normalized, it carries its source headers, so it is not a
          // timer when read back, and the engine rejects it RESERVED_TYPE with these coordinates
          var e = EventJson.read(value, key, ts, input); // one pass when well formed
          e.payload()
              .forEach(
                  (k, v) -> {
                    if (v instanceof java.util.Map || v instanceof java.util.List) {
                      throw new IllegalArgumentException(
                          "payload."
                              + k
                              + " is a nested "
                              + (v instanceof java.util.Map ? "object" : "list")
                              + "; payload values are null, boolean, long, double or string");
                    }
                  });
          // the event time is the JSON "timestamp" when present, else the record's: the
          // normalized record carries it, so live, replay and simulate agree. It may be earlier
          // than the record's, never later: the broker bounds how far ahead a record timestamp may
          // be (message.timestamp.after.max.ms), and a later JSON time would escape that bound and
          // fire the session's deadlines early (deadline before late events)
          if (e.timestamp() > ts) {
            throw new IllegalArgumentException(
                "timestamp "
                    + java.time.Instant.ofEpochMilli(e.timestamp())
                    + " is later than the record's timestamp "
                    + java.time.Instant.ofEpochMilli(ts)
                    + ": an event's time may be earlier than its record's, never later");
          }
          return new DecodeProcessor.Stamped(AvroMapping.toAvro(e), e.timestamp());
        };

    Topology topology = new Topology();
    StringSerializer keys = new StringSerializer();
    topology.addSource(
        AVRO_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), t.events());
    topology.addProcessor(
        DECODE_AVRO,
        () -> new DecodeProcessor(avro, ENGINE, s.maxRecordBytes(), s.mac(), false),
        AVRO_SOURCE);
    topology.addProcessor(ENGINE, () -> new EngineProcessor(engine, s, live), DECODE_AVRO);
    if (live) {
      topology.addSource(
          JSON_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), t.eventsJson());
      topology.addProcessor(
          DECODE_JSON,
          () -> new DecodeProcessor(fromJson, NORMALIZED_SINK, s.maxRecordBytes(), null, true),
          JSON_SOURCE);
      // the two writers of the events topic sign what they write (docs/decisions/0008)
      RecordMac.Signing signed = new RecordMac.Signing(avroOut, s.mac());
      topology.addSink(NORMALIZED_SINK, t.events(), keys, signed, DECODE_JSON);
      // a batch of timers and a migration's continuation go to the task's own partition, named
      // by the value (decisions 0023 and 0018)
      topology.addSink(TIMERS_SINK, t.events(), keys, signed, RecordMac.ToSign::partitions, ENGINE);
    }
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SESSIONS_STORE), Serdes.String(), Serdes.ByteArray()),
        ENGINE);
    // derived from the sessions when the task starts: in memory, no changelog (decision 0025)
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                SkipListStore.supplier(SESSION_INDEX_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled(),
        ENGINE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(MIGRATIONS_STORE), Serdes.String(), Serdes.ByteArray()),
        ENGINE);
    topology.addSink(TRANSITIONS_SINK, t.transitions(), keys, avroOut, ENGINE);
    topology.addSink(BACKOUTS_SINK, t.backouts(), keys, avroOut, ENGINE);
    if (live) {
      topology.addProcessor(AUDIT_SINK, RecentRejections::new, ENGINE);
      topology.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(REJECTIONS_STORE),
              Serdes.String(),
              Serdes.ByteArray()),
          AUDIT_SINK);
      topology.addSink(AUDIT_TOPIC_SINK, t.audit(), keys, avroOut, AUDIT_SINK);
    } else {
      topology.addSink(AUDIT_SINK, t.audit(), keys, avroOut, ENGINE);
    }
    String[] dlqParents =
        live ? new String[] {DECODE_AVRO, DECODE_JSON, ENGINE} : new String[] {DECODE_AVRO, ENGINE};
    topology.addSink(
        DLQ_SINK, t.dlq(), new DlqKeySerializer(), new ByteArraySerializer(), dlqParents);
    return topology;
  }

  /** The stored value of {@link #REJECTIONS_STORE} as a JSON array (empty for null). */
  public static com.fasterxml.jackson.databind.JsonNode rejections(byte[] stored) {
    return RecentRejections.read(stored);
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

  /**
   * What statewarden's serializers do with the registry, whatever the configuration says: look the
   * schema up by its exact content, never register. statewarden publishes its schemas at start
   * ({@code SchemaPublisher}, or {@code schemas publish} for a registry it may not write to) in the
   * form {@code dereference-schema=true} prints, and each instance then writes with the id of the
   * version that holds exactly its own schema, also while a newer or older statewarden shares the
   * registry (decision 0011).
   */
  static final Map<String, String> SERIALIZER_LOOKUP =
      Map.of(
          SchemaResolverConfig.AUTO_REGISTER_ARTIFACT, "false",
          SchemaResolverConfig.FIND_LATEST_ARTIFACT, "false",
          SchemaResolverConfig.DEREFERENCE_SCHEMA, "true");

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Serializer<Object> avroSerializer(Map<String, ?> config) {
    Map<String, Object> c = RegistryClientSettings.withDefaults(withDatumProvider(config));
    c.putAll(SERIALIZER_LOOKUP);
    Serializer s = new ContractSerializer();
    s.configure(c, false);
    return s;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Deserializer<Object> avroDeserializer(Map<String, ?> config) {
    Map<String, Object> c = RegistryClientSettings.withDefaults(withDatumProvider(config));
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    Deserializer d = new AvroKafkaDeserializer<ProtocolEvent>();
    d.configure(c, false);
    return d;
  }
}
