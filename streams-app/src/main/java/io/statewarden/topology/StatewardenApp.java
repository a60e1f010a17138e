package io.statewarden.topology;

import io.statewarden.api.HttpApi;
import io.statewarden.api.SessionQuery;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Engine;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

  private final KafkaStreams streams;
  private final HttpApi http;
  private final OffsetCatchUp catchUp;
  private final CountDownLatch closed = new CountDownLatch(1);

  private StatewardenApp(KafkaStreams streams, HttpApi http, OffsetCatchUp catchUp) {
    this.streams = streams;
    this.http = http;
    this.catchUp = catchUp;
  }

  /**
   * @throws ProtocolLoadException when a definition is bad; nothing is started then
   * @throws StartupException when Kafka refuses the credentials, or Kafka or the registry does not
   *     answer ({@link StartupException#unreachable()}); nothing is started then
   * @throws ConfigException when a required setting is missing or malformed; nothing is started
   */
  public static StatewardenApp start(StatewardenConfig config)
      throws ProtocolLoadException, IOException {
    ProtocolCatalog catalog =
        ProtocolCatalog.load(
            config.getList(StatewardenConfig.PROTOCOLS_DIRS).stream().map(Path::of).toList());
    Engine engine = new Engine(catalog, config.engine());
    List<String> missing = config.missingClusterSettings();
    if (!missing.isEmpty()) {
      throw new ConfigException(missing.get(0));
    }
    AvroLimits.apply(config.getInt(StatewardenConfig.MAX_RECORD_BYTES));
    Metrics metrics = new Metrics();
    String token = config.httpToken();
    Duration startupTimeout =
        Duration.ofMillis(config.getLong(StatewardenConfig.STARTUP_TIMEOUT_MS));
    KafkaPreflight.check(config.kafka(), startupTimeout);
    RegistryPreflight.check(config.registryUrl().strip(), config.kafka(), startupTimeout);
    StreamsConfig clients = new StreamsConfig(config.kafka());
    String clientId = clients.getString(StreamsConfig.APPLICATION_ID_CONFIG);
    OffsetCatchUp catchUp =
        new OffsetCatchUp(
            config.topics().events(),
            config.topics().eventsJson(),
            clients.getAdminConfigs(clientId + "-catchup"),
            clients.getRestoreConsumerConfigs(clientId + "-catchup"));
    var settings =
        new TopologyFactory.Settings(
            config.topics(),
            config.getLong(StatewardenConfig.PUNCTUATION_INTERVAL_MS),
            config.getInt(StatewardenConfig.PUNCTUATION_MAX_FIRES),
            config.getInt(StatewardenConfig.MAX_RECORD_BYTES),
            config.instanceId(),
            config.kafka(),
            catchUp,
            metrics);
    HttpApi http =
        new HttpApi(
            config.getString(StatewardenConfig.HTTP_HOST),
            config.getInt(StatewardenConfig.HTTP_PORT),
            token);
    Properties props = new Properties();
    props.putAll(config.kafka());
    // interactive queries: where other instances reach this one's HTTP API
    HostInfo self = new HostInfo(config.advertisedHost(), http.port());
    props.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    KafkaStreams streams = new KafkaStreams(TopologyFactory.build(engine, settings), props);
    // a failed stream thread is replaced; its tasks restart from their last commit
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("Stream thread failed; replacing it", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    http.start(
        streams,
        catalog,
        new SessionQuery(
            streams,
            engine,
            HostInfo.buildFromEndpoint(props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG)),
            token),
        metrics);
    StatewardenApp app = new StatewardenApp(streams, http, catchUp);
    // names and counts only: settings may hold secrets (SASL, TLS, registry auth, the token)
    LOG.info(
        "Starting statewarden {} with {} protocols: {}; HTTP API token {}",
        props.get(StreamsConfig.APPLICATION_ID_CONFIG),
        catalog.all().size(),
        catalog.all().stream().map(p -> p.id()).toList(),
        token == null ? "not required" : "required");
    streams.start();
    return app;
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
    closed.countDown();
  }
}
