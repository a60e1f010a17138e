package io.statewarden.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) running inside this JVM,
 * listening on 127.0.0.1 only.
 *
 * <p>The node keeps its log in the given data directory. A directory that already holds a formatted
 * log is reused as it is, so a restarted node sees the topics, offsets and transactions of the
 * previous run. Internal topics use replication factor 1, so transactions and {@code
 * processing.guarantee=exactly_once_v2} work on this one node.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;
  private static final int START_ATTEMPTS = 3;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private final KafkaRaftServer server;
  private final Path dataDir;
  private final int port;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, Path dataDir, int port) {
    this.server = server;
    this.dataDir = dataDir;
    this.port = port;
  }

  /**
   * Formats {@code dataDir} unless it already holds a formatted log, then starts the node and
   * returns once it is ready to serve clients.
   *
   * @param dataDir the log directory of the node; created when missing
   * @param port the client port on 127.0.0.1, or 0 to choose a free one
   * @return the running node
   * @throws IllegalStateException when the node cannot be formatted or started
   */
  public static EmbeddedKafka start(Path dataDir, int port) {
    return start(dataDir, port, Map.of());
  }

  /**
   * As {@link #start(Path, int)}, with some broker settings replaced or added (a benchmark that
   * lowers a bound, e.g. {@code group.min.session.timeout.ms}).
   *
   * @param dataDir the log directory of the node; created when missing
   * @param port the client port on 127.0.0.1, or 0 to choose a free one
   * @param overrides broker settings put over {@link #brokerProperties}
   * @return the running node
   * @throws IllegalStateException when the node cannot be formatted or started
   */
  public static EmbeddedKafka start(Path dataDir, int port, Map<String, String> overrides) {
    Path dir = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create Kafka data directory " + dir, e);
    }
    RuntimeException last = null;
    int attempts = port == 0 ? START_ATTEMPTS : 1;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      int clientPort = Ports.orFree(port);
      int controllerPort = Ports.freeLoopbackPort();
      try {
        return startOnce(dir, clientPort, controllerPort, overrides);
      } catch (RuntimeException e) {
        last = e;
        LOG.warn(
            "Kafka did not start on port {} (attempt {}): {}", clientPort, attempt, e.toString());
      }
    }
    throw new IllegalStateException("Could not start Kafka in " + dir, last);
  }

  private static EmbeddedKafka startOnce(
      Path dir, int clientPort, int controllerPort, Map<String, String> overrides) {
    long started = System.nanoTime();
    Properties props = brokerProperties(dir, clientPort, controllerPort);
    props.putAll(overrides);
    KafkaConfig config = KafkaConfig.fromProps(props);
    formatIfNeeded(dir);
    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      server.startup();
    } catch (RuntimeException e) {
      server.shutdown();
      server.awaitShutdown();
      throw e;
    }
    LOG.info(
        "Kafka started at 127.0.0.1:{} in {} ms (data {})",
        clientPort,
        (System.nanoTime() - started) / 1_000_000,
        dir);
    return new EmbeddedKafka(server, dir, clientPort);
  }

  /**
   * The broker settings of the single node, for a test that starts a variant of it.
   *
   * @param dir the log directory
   * @param clientPort the PLAINTEXT port on 127.0.0.1
   * @param controllerPort the controller's port on 127.0.0.1
   * @return the settings
   */
  public static Properties brokerProperties(Path dir, int clientPort, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:"
            + clientPort
            + ","
            + CONTROLLER_LISTENER
            + "://127.0.0.1:"
            + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", dir.toString());
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    // transactions, hence exactly_once_v2, need the transaction log to fit one node
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("group.streams.initial.rebalance.delay.ms", "0");
    // quicker KIP-848/KIP-1071 rebalances for local runs and tests (defaults 5 s)
    p.put("group.consumer.min.heartbeat.interval.ms", "500");
    p.put("group.consumer.heartbeat.interval.ms", "500");
    p.put("group.streams.min.heartbeat.interval.ms", "500");
    p.put("group.streams.heartbeat.interval.ms", "500");
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024));
    p.put("log.cleaner.threads", "1");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    // controlled.shutdown.enable stays true: without it a restart on the same data directory
    // waits for the old broker session to expire (~9 s) and pending transaction markers stall
    return p;
  }

  /**
   * Formats {@code dir} as the log of this single node unless it already holds one.
   *
   * @param dir the log directory
   */
  public static void formatIfNeeded(Path dir) {
    if (Files.exists(dir.resolve("meta.properties"))) {
      LOG.info("Reusing the formatted Kafka log in {}", dir);
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(print)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(dir.toString()))
          .setMetadataLogDirectory(dir.toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("Could not format Kafka storage in " + dir, e);
    }
    LOG.debug("Formatted {}: {}", dir, out.toString(StandardCharsets.UTF_8).strip());
  }

  /**
   * The address clients use: {@code 127.0.0.1:<port>}.
   *
   * @return the value for {@code bootstrap.servers}
   */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /**
   * The log directory of this node.
   *
   * @return the absolute data directory
   */
  public Path dataDir() {
    return dataDir;
  }

  /** Stops the node and waits until it has stopped; the data directory is kept. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    server.shutdown();
    server.awaitShutdown();
    LOG.info("Kafka stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
  }
}
