package io.statewarden.app;

import io.statewarden.api.DeadLetters;
import io.statewarden.api.HttpApi;
import io.statewarden.api.SessionQuery;
import io.statewarden.config.AvroLimits;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.metrics.Metrics;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.registry.RegistryAuth;
import io.statewarden.registry.SchemaPublisher;
import io.statewarden.topology.CommandWriter;
import io.statewarden.topology.OffsetCatchUp;
import io.statewarden.topology.RecordMac;
import io.statewarden.topology.TopologyFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running statewarden instance: protocols loaded (refusing to start on a bad one), the topology
 * on Kafka Streams, and the HTTP API. Close to stop gracefully.
 */
public final class StatewardenApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatewardenApp.class);

  /**
   * How long the producer of operator commands may try to deliver one; the HTTP answer waits for it
   * (at most ~17 s), so a command answered 503 is not delivered later behind the caller's back.
   */
  static final Duration COMMAND_DELIVERY_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaStreams streams;
  private final HttpApi http;
  private final OffsetCatchUp catchUp;
  private final CommandWriter commands; // null: operator commands disabled
  private final CountDownLatch closed = new CountDownLatch(1);

  private StatewardenApp(
      KafkaStreams streams, HttpApi http, OffsetCatchUp catchUp, CommandWriter commands) {
    this.streams = streams;
    this.http = http;
    this.catchUp = catchUp;
    this.commands = commands;
  }

  /**
   * @throws ProtocolLoadException when a definition is bad; nothing is started then
   * @throws StartupException when Kafka refuses the credentials, or Kafka or the registry does not
   *     answer ({@link StartupException#unreachable()}); nothing is started then
   * @throws ConfigException when a required setting is missing or malformed, or the HTTP API would
   *     be open to anyone beyond loopback ({@link StatewardenConfig#checkHttpExposure}); nothing is
   *     started
   */
  public static StatewardenApp start(StatewardenConfig config)
      throws ProtocolLoadException, IOException {
    ProtocolCatalog catalog =
        ProtocolCatalog.load(
            config.getList(StatewardenConfig.PROTOCOLS_DIRS).stream().map(Path::of).toList());
    List<String> missing = config.missingClusterSettings();
    if (!missing.isEmpty()) {
      throw new ConfigException(missing.get(0));
    }
    config.checkHttpExposure();
    List<String> keys = config.signingKeys();
    RecordMac mac = RecordMac.of(keys.get(0), keys.subList(1, keys.size()));
    AvroLimits.apply(config.getInt(StatewardenConfig.MAX_RECORD_BYTES));
    Metrics metrics = new Metrics(config.getInt(StatewardenConfig.PUNCTUATION_MAX_FIRES));
    String token = config.httpToken();
    preflight(config);
    publishSchemas(config, config.topics());
    StreamsConfig clients = new StreamsConfig(config.kafka());
    String clientId = clients.getString(StreamsConfig.APPLICATION_ID_CONFIG);
    Engine engine =
        new Engine(
            catalog,
            config.engine(),
            eventsPartitions(clients.getAdminConfigs(clientId + "-partitions"), config));
    OffsetCatchUp catchUp =
        new OffsetCatchUp(
            config.topics().events(),
            config.topics().eventsJson(),
            clients.getAdminConfigs(clientId + "-catchup"),
            clients.getRestoreConsumerConfigs(clientId + "-catchup"));
    var settings =
        TopologyFactory.Settings.builder(config.topics(), config.instanceId())
            .punctuation(
                config.getLong(StatewardenConfig.PUNCTUATION_INTERVAL_MS),
                config.getInt(StatewardenConfig.PUNCTUATION_MAX_FIRES))
            .maxRecordBytes(config.getInt(StatewardenConfig.MAX_RECORD_BYTES))
            .serdeConfig(config.kafka())
            .catchUp(catchUp)
            .metrics(metrics)
            .mac(mac)
            .batchTimers(config.getBoolean(StatewardenConfig.PUNCTUATION_BATCH))
            .auditAccepted(config.getBoolean(StatewardenConfig.AUDIT_ACCEPTED))
            .build();
    HttpApi http =
        new HttpApi(
            config.getString(StatewardenConfig.HTTP_HOST),
            config.getInt(StatewardenConfig.HTTP_PORT),
            token,
            new HttpApi.Limits(
                Duration.ofMillis(config.getLong(StatewardenConfig.HTTP_READ_TIMEOUT_MS)),
                config.getInt(StatewardenConfig.HTTP_MAX_CONNECTIONS),
                config.getInt(StatewardenConfig.MAX_RECORD_BYTES)));
    String operatorToken = config.operatorToken();
    Map<String, String> personalTokens = config.operatorTokens();
    CommandWriter commands = null;
    if (operatorToken != null || !personalTokens.isEmpty()) {
      commands =
          new CommandWriter(
              clients.getProducerConfigs(clientId + "-operator"),
              config.kafka(),
              mac,
              config.topics().events(),
              COMMAND_DELIVERY_TIMEOUT);
      CommandWriter writer = commands;
      http.operators(operatorToken, personalTokens, writer::write, writer::write);
      LOG.info(
          "Operator commands enabled: {}{} personal operator token(s)",
          operatorToken == null ? "" : "a shared operator token, ",
          personalTokens.size());
    }
    Properties props = new Properties();
    props.putAll(config.kafka());
    // interactive queries: where other instances reach this one's HTTP API
    HostInfo self = new HostInfo(config.advertisedHost(), http.port());
    props.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    KafkaStreams streams;
    try {
      // the schemas were just published or checked: their ids are resolved now, not when a task
      // this instance takes over writes its first record of each type (decision 0029)
      streams = new KafkaStreams(TopologyFactory.buildResolvedAhead(engine, settings), props);
    } catch (RuntimeException e) {
      http.close(); // its event loop would keep the JVM up
      if (commands != null) {
        commands.close();
      }
      throw e;
    }
    // a failed stream thread is replaced; its tasks restart from their last commit
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("Stream thread failed; replacing it", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    try {
      http.start(
          streams,
          catalog,
          new SessionQuery(
              streams,
              engine,
              HostInfo.buildFromEndpoint(
                  props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG)),
              token,
              config.topics().events()),
          metrics,
          new DeadLetters(
              config.topics().dlq(), clients.getRestoreConsumerConfigs(clientId + "-console")));
    } catch (RuntimeException e) {
      // the Kafka Streams client holds its clients and the state directory's lock: a caller that
      // starts again in this JVM (the tests, `local` after a port clash) would find them taken
      streams.close(Duration.ofSeconds(10));
      http.close();
      if (commands != null) {
        commands.close();
      }
      throw e;
    }
    StatewardenApp app = new StatewardenApp(streams, http, catchUp, commands);
    // names and counts only: settings may hold secrets (SASL, TLS, registry auth, the token)
    LOG.info(
        "Starting statewarden {} with {} protocols: {}; HTTP API token {}; signing key id {}"
            + " ({} earlier)",
        props.get(StreamsConfig.APPLICATION_ID_CONFIG),
        catalog.all().size(),
        catalog.all().stream().map(p -> p.id()).toList(),
        token == null ? "not required" : "required",
        mac.signingKeyId(),
        keys.size() - 1);
    streams.start();
    return app;
  }

  /**
   * Partitions of the events topic: each holds its share of a protocol's {@code
   * maxConcurrentSessions} (docs/decisions/0017-concurrency-cap.md). 1 when the topic does not
   * exist yet (Kafka Streams then refuses to start on the missing source topic anyway).
   */
  static int eventsPartitions(Map<String, Object> adminConfig, StatewardenConfig config) {
    String topic = config.topics().events();
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(adminConfig)) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get()
          .get(topic)
          .partitions()
          .size();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
        return 1;
      }
      throw new StartupException(
          "Cannot describe the events topic " + topic + ": " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while describing the events topic " + topic, e);
    }
  }

  /**
   * Kafka and the registry answer, and take statewarden's credentials, within {@value
   * StatewardenConfig#STARTUP_TIMEOUT_MS}: before {@code run} or {@code replay} starts a client.
   *
   * @throws StartupException when one does not answer ({@link StartupException#unreachable()}) or
   *     refuses the credentials
   */
  public static void preflight(StatewardenConfig config) {
    Duration timeout = Duration.ofMillis(config.getLong(StatewardenConfig.STARTUP_TIMEOUT_MS));
    KafkaPreflight.check(config.kafka(), timeout);
    RegistryPreflight.check(config.registryUrl().strip(), config.kafka(), timeout);
  }

  /**
   * The contract's schemas in the registry before the first record is read or written, so that a
   * producer that may only look schemas up works from its first event, and statewarden's own
   * serializers, which only look up (decision 0011), find them. When {@value
   * StatewardenConfig#SCHEMAS_PUBLISH} is false, only checks that they are there.
   *
   * @throws StartupException when the registry refuses (no write rights, an incompatible schema),
   *     with its reason, when a schema is missing and publishing is off, or when the registry does
   *     not answer ({@link StartupException#unreachable()})
   */
  public static void publishSchemas(StatewardenConfig config, Topics topics) {
    Duration timeout = Duration.ofMillis(config.getLong(StatewardenConfig.STARTUP_TIMEOUT_MS));
    var publisher = new SchemaPublisher(config.registryUrl(), config.kafka(), timeout);
    try {
      if (!config.getBoolean(StatewardenConfig.SCHEMAS_PUBLISH)) {
        // published by someone else: check, rather than fail on the first record to write
        var missing = publisher.missing(topics);
        if (!missing.isEmpty()) {
          throw new StartupException(
              "the schema registry at "
                  + config.registryUrl()
                  + " has no version of "
                  + String.join(", ", missing)
                  + " with this statewarden's schema, and "
                  + StatewardenConfig.SCHEMAS_PUBLISH
                  + " is false; publish them with 'statewarden schemas publish"
                  + prefixOption(config.topics(), topics)
                  + "'",
              null);
        }
        return;
      }
      var versions = publisher.publish(topics);
      LOG.info("Schemas published (compatibility {}): {}", SchemaPublisher.COMPATIBILITY, versions);
    } catch (SchemaPublisher.Unreachable e) {
      throw StartupException.unreachable(e.getMessage(), e);
    } catch (RegistryAuth.Failed e) {
      throw new StartupException(e.getMessage(), null);
    } catch (SchemaPublisher.Refused e) {
      throw new StartupException(
          e.getMessage()
              + (e.forbidden()
                  ? "; publish the schemas with 'statewarden schemas publish' as a user who may"
                      + " write, and set "
                      + StatewardenConfig.SCHEMAS_PUBLISH
                      + "=false"
                  : ""),
          e);
    }
  }

  /** {@code " --output-prefix P"} when {@code topics} are a replay's prefixed outputs. */
  private static String prefixOption(Topics live, Topics topics) {
    String t = topics.transitions();
    return t.equals(live.transitions())
        ? ""
        : " --output-prefix " + t.substring(0, t.length() - live.transitions().length());
  }

  public KafkaStreams streams() {
    return streams;
  }

  public int httpPort() {
    return http.port();
  }

  public boolean isRunning() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /** Blocks until {@link #close()}. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    catchUp.close();
    http.close();
    if (commands != null) {
      commands.close();
    }
    closed.countDown();
  }
}
