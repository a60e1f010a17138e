package io.statewarden.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka Connect worker in distributed mode, running in this JVM, its REST API on 127.0.0.1.
 *
 * <p>The worker keeps its connector configs, offsets and statuses in three topics named after its
 * group id, so a worker started again with the same {@link Settings} resumes where the previous one
 * stopped (sink connectors from their committed consumer offsets, source connectors from their
 * stored source offsets).
 */
public final class ConnectWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectWorker.class);

  /** Kafka's provider of {@code ${env:NAME}} references. */
  static final String ENV_PROVIDER = "org.apache.kafka.common.config.provider.EnvVarConfigProvider";

  /** The environment variables connector configs may reference. */
  static final String SECRET_VARIABLES = "^STATEWARDEN_[A-Z0-9_]*(PASSWORD|SECRET)$";

  private final Connect<?> connect;
  private final URI url;
  private final int port;
  private boolean closed;

  private ConnectWorker(Connect<?> connect, int port) {
    this.connect = connect;
    this.port = port;
    this.url = URI.create("http://127.0.0.1:" + port + "/");
  }

  /**
   * What a worker needs.
   *
   * @param bootstrapServers the Kafka cluster
   * @param groupId the Connect cluster's group id; also names its internal topics
   * @param pluginPath directories holding plugin directories, comma separated
   * @param restPort the REST port on 127.0.0.1 (0: a free one)
   * @param offsetFlushMs how often source offsets and sink consumer offsets are committed
   */
  public record Settings(
      String bootstrapServers,
      String groupId,
      String pluginPath,
      int restPort,
      long offsetFlushMs) {}

  /**
   * The worker properties for {@code settings}: JSON converters by default (each connector config
   * names its own), single-replica internal topics, every client override allowed (the sink configs
   * ask for {@code read_committed}).
   *
   * @param settings the worker settings, with a concrete REST port
   * @return properties for a distributed worker
   */
  static Map<String, String> workerProperties(Settings settings) {
    Map<String, String> p = new HashMap<>();
    p.put("bootstrap.servers", settings.bootstrapServers());
    p.put("group.id", settings.groupId());
    p.put("config.storage.topic", settings.groupId() + ".configs");
    p.put("offset.storage.topic", settings.groupId() + ".offsets");
    p.put("status.storage.topic", settings.groupId() + ".status");
    p.put("config.storage.replication.factor", "1");
    p.put("offset.storage.replication.factor", "1");
    p.put("status.storage.replication.factor", "1");
    p.put("offset.storage.partitions", "5");
    p.put("status.storage.partitions", "1");
    p.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    p.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    p.put("value.converter.schemas.enable", "false");
    p.put("plugin.path", settings.pluginPath());
    p.put("listeners", "http://127.0.0.1:" + settings.restPort());
    p.put("rest.advertised.host.name", "127.0.0.1");
    p.put("rest.advertised.port", String.valueOf(settings.restPort()));
    p.put("offset.flush.interval.ms", String.valueOf(settings.offsetFlushMs()));
    p.put("connector.client.config.override.policy", "All");
    // connector configs reference secrets as ${env:NAME}, resolved by the worker from its own
    // environment when it starts a task: Connect's config topic and REST API only ever hold the
    // reference. Only these names can be read, so a connector config cannot pull out other
    // variables of the worker's environment.
    p.put("config.providers", "env");
    p.put("config.providers.env.class", ENV_PROVIDER);
    p.put("config.providers.env.param.allowlist.pattern", SECRET_VARIABLES);
    // every plugin of the build has ServiceLoader manifests (the Apicurio converter's come from
    // connectors/apicurio-converter-plugin), so no plugin jar needs scanning
    p.put("plugin.discovery", "service_load");
    // a worker that rejoins right after a restart should not wait for the old member to leave
    p.put("scheduled.rebalance.max.delay.ms", "0");
    return p;
  }

  /**
   * Starts a worker and returns once its REST API answers.
   *
   * @param settings what the worker runs on
   * @return the running worker
   */
  public static ConnectWorker start(Settings settings) {
    long started = System.nanoTime();
    int port = settings.restPort() == 0 ? freeLoopbackPort() : settings.restPort();
    Settings concrete =
        new Settings(
            settings.bootstrapServers(),
            settings.groupId(),
            settings.pluginPath(),
            port,
            settings.offsetFlushMs());
    Connect<?> connect = new ConnectDistributed().startConnect(workerProperties(concrete));
    ConnectWorker worker = new ConnectWorker(connect, port);
    try {
      worker.rest().awaitReady();
    } catch (RuntimeException e) {
      worker.close();
      throw e;
    }
    LOG.info(
        "Connect worker {} started at {} in {} ms",
        concrete.groupId(),
        worker.url,
        (System.nanoTime() - started) / 1_000_000);
    return worker;
  }

  /**
   * A port that was free on 127.0.0.1 a moment ago.
   *
   * @return the port
   */
  public static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not find a free port on 127.0.0.1", e);
    }
  }

  /**
   * The REST port on 127.0.0.1.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The worker's REST API.
   *
   * @return a client of it
   */
  public ConnectRest rest() {
    return new ConnectRest(url);
  }

  /** Stops the worker's connectors and tasks (committing their offsets) and the worker itself. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    connect.stop();
    connect.awaitStop();
    LOG.info("Connect worker stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
  }
}
