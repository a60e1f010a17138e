package io.statewarden.connectors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs a Kafka Connect worker with Debezium's PostgreSQL source and JDBC sink and the Apicurio Avro
 * converter, and (with {@code --configs}) creates or updates statewarden's connectors on it. Stops
 * the worker on SIGTERM or Ctrl-C. See docs/connectors.md.
 */
@Command(
    name = "statewarden-connect",
    mixinStandardHelpOptions = true,
    description = "Run a Kafka Connect worker with statewarden's connectors.")
public final class ConnectLauncher implements Callable<Integer> {
  /** System property naming the default plugin path (set by {@code connectors/bin/connect}). */
  public static final String PLUGIN_PATH_PROPERTY = "statewarden.connect.plugin.path";

  @Option(
      names = "--bootstrap",
      defaultValue = "127.0.0.1:9092",
      paramLabel = "HOST:PORT",
      description = "Kafka brokers (default ${DEFAULT-VALUE}).")
  String bootstrap;

  @Option(
      names = "--registry",
      defaultValue = "http://127.0.0.1:8080/apis/registry/v2",
      paramLabel = "URL",
      description = "The registry's v2 API; a v3 URL is turned into it (default ${DEFAULT-VALUE}).")
  String registry;

  @Option(
      names = "--group-id",
      defaultValue = "connect-statewarden",
      paramLabel = "ID",
      description =
          "Connect group id, also naming its config, offset and status topics (default ${DEFAULT-VALUE}).")
  String groupId;

  @Option(
      names = "--rest-port",
      defaultValue = "8083",
      paramLabel = "PORT",
      description = "REST port on 127.0.0.1; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int restPort;

  @Option(
      names = "--plugin-path",
      paramLabel = "DIRS",
      description =
          "Connect plugin.path (default: -D"
              + PLUGIN_PATH_PROPERTY
              + ", set by bin/statewarden-connect).")
  String pluginPath;

  @Option(
      names = "--offset-flush-ms",
      defaultValue = "10000",
      paramLabel = "MS",
      description =
          "How often source offsets and sink positions are committed (default ${DEFAULT-VALUE}).")
  long offsetFlushMs;

  @Option(
      names = "--configs",
      paramLabel = "DIR",
      description = "Create or update the connector of every *.json file in DIR.")
  Path configs;

  @Option(
      names = "--name-prefix",
      defaultValue = "",
      paramLabel = "PREFIX",
      description = "Put before every connector name.")
  String namePrefix;

  @Option(
      names = "--sink-jdbc-url",
      defaultValue = "jdbc:postgresql://127.0.0.1:5432/statewarden",
      paramLabel = "URL",
      description = "Database of the sink tables (default ${DEFAULT-VALUE}).")
  String sinkJdbcUrl;

  @Option(
      names = "--sink-user",
      defaultValue = "statewarden_sink",
      paramLabel = "USER",
      description = "Sink database user (default ${DEFAULT-VALUE}).")
  String sinkUser;

  @Option(
      names = "--outbox-host",
      defaultValue = "127.0.0.1",
      paramLabel = "HOST",
      description = "Host of the database with the outbox table (default ${DEFAULT-VALUE}).")
  String outboxHost;

  @Option(
      names = "--outbox-port",
      defaultValue = "5432",
      paramLabel = "PORT",
      description = "Its port (default ${DEFAULT-VALUE}).")
  int outboxPort;

  @Option(
      names = "--outbox-db",
      defaultValue = "orders",
      paramLabel = "NAME",
      description = "Its database name (default ${DEFAULT-VALUE}).")
  String outboxDb;

  @Option(
      names = "--outbox-user",
      defaultValue = "statewarden_cdc",
      paramLabel = "USER",
      description =
          "A user with REPLICATION that owns the outbox table (default ${DEFAULT-VALUE}).")
  String outboxUser;

  @Option(
      names = "--slot",
      defaultValue = "statewarden_outbox",
      paramLabel = "NAME",
      description =
          "Replication slot and publication of the outbox source (default ${DEFAULT-VALUE}).")
  String slot;

  @Option(
      names = "--events-json-topic",
      defaultValue = "statewarden.events.json",
      paramLabel = "TOPIC",
      description = "statewarden's JSON events topic (default ${DEFAULT-VALUE}).")
  String eventsJsonTopic;

  @Option(
      names = "--transitions-topic",
      defaultValue = "statewarden.transitions",
      paramLabel = "TOPIC",
      description = "statewarden's transitions topic (default ${DEFAULT-VALUE}).")
  String transitionsTopic;

  @Option(
      names = "--backouts-topic",
      defaultValue = "statewarden.backouts",
      paramLabel = "TOPIC",
      description = "statewarden's backouts topic (default ${DEFAULT-VALUE}).")
  String backoutsTopic;

  @Option(
      names = "--audit-topic",
      defaultValue = "statewarden.audit",
      paramLabel = "TOPIC",
      description = "statewarden's audit topic (default ${DEFAULT-VALUE}).")
  String auditTopic;

  @Option(names = "--parent-pid", hidden = true, defaultValue = "0")
  long parentPid;

  /**
   * Runs the launcher.
   *
   * @param args command line
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ConnectLauncher()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    String plugins = pluginPath != null ? pluginPath : System.getProperty(PLUGIN_PATH_PROPERTY);
    if (plugins == null || plugins.isBlank()) {
      System.err.println("No plugin path: give --plugin-path or -D" + PLUGIN_PATH_PROPERTY);
      return 2;
    }
    List<ConnectorConfig> connectors;
    try {
      connectors = configs == null ? List.of() : connectors();
    } catch (IllegalArgumentException e) {
      // refused before anything starts: a config to fix, in one line
      System.err.println("statewarden-connect: " + e.getMessage());
      return 2;
    }
    ConnectWorker worker =
        ConnectWorker.start(
            new ConnectWorker.Settings(bootstrap, groupId, plugins, restPort, offsetFlushMs));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  stopped.countDown();
                },
                "connect-stopper"));
    if (parentPid > 0) {
      ProcessHandle.of(parentPid)
          .ifPresentOrElse(p -> p.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
    }
    register(worker, connectors);
    System.out.println("Connect worker ready at http://127.0.0.1:" + worker.port() + "/");
    stopped.await();
    return 0;
  }

  /**
   * The connectors of {@code --configs} as this environment runs them.
   *
   * @throws IllegalArgumentException when there is no such directory, a connector holds a password
   *     itself, or references an environment variable that is not set
   */
  private List<ConnectorConfig> connectors() {
    if (!Files.isDirectory(configs)) {
      throw new IllegalArgumentException("No connector config directory " + configs);
    }
    Environment env =
        new Environment(
            sinkJdbcUrl,
            sinkUser,
            outboxHost,
            outboxPort,
            outboxDb,
            outboxUser,
            registryV2(registry),
            new OutputTopics(eventsJsonTopic, transitionsTopic, backoutsTopic, auditTopic),
            slot);
    List<ConnectorConfig> connectors =
        ConnectorConfig.readAll(configs).stream()
            .map(c -> env.apply(c).named(namePrefix + c.name()))
            .toList();
    for (ConnectorConfig c : connectors) {
      for (String variable : c.environmentReferences()) {
        if (System.getenv(variable) == null) {
          throw new IllegalArgumentException(
              "Connector "
                  + c.name()
                  + " reads "
                  + variable
                  + " from the worker's environment, but it is not set");
        }
      }
    }
    return connectors;
  }

  private static void register(ConnectWorker worker, List<ConnectorConfig> connectors) {
    for (ConnectorConfig c : connectors) {
      worker.rest().put(c.name(), c.config());
    }
    for (ConnectorConfig c : connectors) {
      worker.rest().awaitRunning(c.name());
      System.out.println("Connector " + c.name() + " is running");
    }
  }

  /**
   * The v2 API of a registry, from either of its API URLs.
   *
   * @param url {@code .../apis/registry/v3} or {@code .../apis/registry/v2}
   * @return {@code .../apis/registry/v2}
   */
  static String registryV2(String url) {
    return url.replaceAll("/apis/registry/v3/?$", "/apis/registry/v2");
  }
}
