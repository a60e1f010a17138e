package io.statewarden.replay;

import io.statewarden.app.StatewardenApp;
import io.statewarden.app.TopicAdmin;
import io.statewarden.config.Environment;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.topology.RecordMac;
import io.statewarden.topology.TopologyFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Reprocesses the events topic (the one log: events, normalized JSON events and timer records)
 * under a new application id into output topics with a prefix, with no wall-clock timers: only the
 * timers the log holds fire. Stops by itself at the end offsets it saw on start.
 */
public final class Replayer {
  /** Where a replay starts: the beginning, or the first records at or after a time. */
  public record From(Instant timestamp) {
    public static final From BEGINNING = new From(null);
  }

  /** What a finished replay did. */
  public record Summary(String applicationId, Topics outputs, long records, Duration took) {}

  private final StatewardenConfig config;
  private final PrintWriter progress;

  public Replayer(StatewardenConfig config, PrintWriter progress) {
    this.config = config;
    this.progress = progress;
  }

  public Summary replay(String outputPrefix, String applicationId, From from, Duration idleTimeout)
      throws ProtocolLoadException, InterruptedException, ExecutionException {
    // as run does: Kafka or the registry not answering is one line and exit 3, not a timeout
    StatewardenApp.preflight(config);
    Topics live = config.topics();
    Topics out = live.withOutputPrefix(outputPrefix);
    // the whole client configuration (TLS, SASL, admin.* overrides), as Kafka Streams' own admin
    Map<String, Object> adminConfig =
        new StreamsConfig(config.kafka()).getAdminConfigs(applicationId + "-admin");
    try (Admin admin = Admin.create(adminConfig)) {
      List<TopicPartition> parts =
          admin
              .describeTopics(List.of(live.events()))
              .allTopicNames()
              .get()
              .get(live.events())
              .partitions()
              .stream()
              .map(p -> new TopicPartition(live.events(), p.partition()))
              .toList();
      Map<TopicPartition, Long> end = offsets(admin, parts, OffsetSpec.latest());
      Map<TopicPartition, Long> start =
          from.timestamp() == null
              ? offsets(admin, parts, OffsetSpec.earliest())
              : offsets(admin, parts, OffsetSpec.forTimestamp(from.timestamp().toEpochMilli()));
      start.replaceAll(
          (tp, o) -> o < 0 ? end.get(tp) : o); // no record after the time: nothing to do
      long total = parts.stream().mapToLong(tp -> end.get(tp) - start.get(tp)).sum();
      Map<String, Integer> topics = new LinkedHashMap<>();
      List.of(out.transitions(), out.backouts(), out.audit(), out.dlq())
          .forEach(t -> topics.put(t, parts.size()));
      TopicAdmin.create(adminConfig, topics, Map.of());
      // the replay's outputs are written as the live ones are: with the published schemas
      StatewardenApp.publishSchemas(config, out);
      if (from.timestamp() != null) {
        admin
            .alterConsumerGroupOffsets(
                applicationId,
                start.entrySet().stream()
                    .collect(
                        Collectors.toMap(
                            Map.Entry::getKey, e -> new OffsetAndMetadata(e.getValue()))))
            .all()
            .get();
      }
      progress.printf(
          "replay %s: %d records of %s into %s* (application id %s)%n",
          from.timestamp() == null ? "from the beginning" : "from " + from.timestamp(),
          total,
          live.events(),
          outputPrefix,
          applicationId);

      long began = System.nanoTime();
      try (KafkaStreams streams = start(out, applicationId, parts.size())) {
        long done = 0;
        long lastDone = -1;
        long lastChange = System.nanoTime();
        while (true) {
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
          done =
              parts.stream()
                  .mapToLong(
                      tp -> {
                        OffsetAndMetadata c = committed.get(tp);
                        long at = c == null ? start.get(tp) : Math.min(c.offset(), end.get(tp));
                        return Math.max(0, at - start.get(tp));
                      })
                  .sum();
          double secs = (System.nanoTime() - began) / 1e9;
          progress.printf(
              "replay: %d records done, %d left, %.0f records/s%n",
              done, total - done, done / Math.max(secs, 0.001));
          if (done >= total) {
            break;
          }
          if (streams.state() == KafkaStreams.State.ERROR
              || streams.state() == KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException("Replay stopped: Kafka Streams is " + streams.state());
          }
          if (done != lastDone) {
            lastDone = done;
            lastChange = System.nanoTime();
          } else if (System.nanoTime() - lastChange > idleTimeout.toNanos()) {
            throw new IllegalStateException(
                "Replay made no progress for " + idleTimeout + " at " + done + " of " + total);
          }
          Thread.sleep(500);
        }
        streams.close(Duration.ofSeconds(30));
        return new Summary(applicationId, out, done, Duration.ofNanos(System.nanoTime() - began));
      }
    }
  }

  private KafkaStreams start(Topics out, String applicationId, int partitions)
      throws ProtocolLoadException {
    io.statewarden.config.AvroLimits.apply(config.getInt(StatewardenConfig.MAX_RECORD_BYTES));
    ProtocolCatalog catalog =
        ProtocolCatalog.load(
            config.getList(StatewardenConfig.PROTOCOLS_DIRS).stream().map(Path::of).toList());
    // the live run's partition count, so the concurrency cap decides as it did (decision 0017)
    Engine engine = new Engine(catalog, config.engine(), partitions);
    var settings =
        TopologyFactory.Settings.builder(out, config.instanceId())
            .punctuation(
                config.getLong(StatewardenConfig.PUNCTUATION_INTERVAL_MS),
                config.getInt(StatewardenConfig.PUNCTUATION_MAX_FIRES))
            .maxRecordBytes(config.getInt(StatewardenConfig.MAX_RECORD_BYTES))
            .serdeConfig(config.kafka())
            .mac(mac())
            .auditAccepted(config.getBoolean(StatewardenConfig.AUDIT_ACCEPTED))
            .build();
    Properties props = new Properties();
    props.putAll(config.kafka());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put("auto.offset.reset", "earliest");
    Object stateDir =
        config
            .kafka()
            .getOrDefault(
                StreamsConfig.STATE_DIR_CONFIG,
                Environment.tempDir().resolve("kafka-streams").toString());
    props.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(stateDir.toString(), "replay").toString());
    KafkaStreams streams = new KafkaStreams(TopologyFactory.build(engine, settings, false), props);
    streams.start();
    return streams;
  }

  /** The keys the live processor signed with: a replay believes the same timers it did. */
  private RecordMac mac() {
    List<String> keys = config.signingKeys();
    return RecordMac.of(keys.get(0), keys.subList(1, keys.size()));
  }

  private static Map<TopicPartition, Long> offsets(
      Admin admin, List<TopicPartition> parts, OffsetSpec spec)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetSpec> req = new HashMap<>();
    parts.forEach(tp -> req.put(tp, spec));
    Map<TopicPartition, ListOffsetsResultInfo> res = admin.listOffsets(req).all().get();
    Map<TopicPartition, Long> out = new HashMap<>();
    res.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }
}
