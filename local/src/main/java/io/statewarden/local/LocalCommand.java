package io.statewarden.local;

import io.statewarden.app.StatewardenApp;
import io.statewarden.app.TopicAdmin;
import io.statewarden.config.Environment;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.config.Topics;
import io.statewarden.embedded.EmbeddedKafka;
import io.statewarden.embedded.EmbeddedRegistry;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.topology.RecordMac;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code local}: a real single-node Kafka broker and a real Apicurio Registry on loopback, the
 * topics, and the processor with the built-in protocols; {@code --demo} adds live traffic and
 * prints transitions and backouts as they are committed. Ctrl-C stops everything it started.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description =
        "Run everything on an embedded default: Kafka broker, Apicurio Registry, statewarden.")
final class LocalCommand implements Callable<Integer> {
  static final int PARTITIONS = 3;

  @Spec CommandSpec spec;

  @Option(
      names = "--demo",
      description = "Also produce live sessions of the built-in protocols and print what happens.")
  boolean demo;

  @Option(
      names = "--protocols",
      paramLabel = "DIR",
      description = "More protocol definitions (directory or files).")
  List<Path> protocols = new ArrayList<>();

  @Option(
      names = "--kafka-port",
      defaultValue = "9092",
      description = "Broker port (default ${DEFAULT-VALUE}).")
  int kafkaPort;

  @Option(
      names = "--registry-port",
      defaultValue = "8080",
      description = "Registry port (default ${DEFAULT-VALUE}).")
  int registryPort;

  @Option(
      names = "--http-port",
      defaultValue = "8070",
      description = "statewarden HTTP port (default ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--data-dir",
      defaultValue = ".statewarden",
      description = "Data directory (default ./${DEFAULT-VALUE}/).")
  Path dataDir;

  @Option(
      names = "--demo-interval-ms",
      defaultValue = "700",
      description = "A new demo session every this many ms.")
  long demoIntervalMs;

  private void checkArguments() {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("--kafka-port", kafkaPort);
    ports.put("--registry-port", registryPort);
    ports.put("--http-port", httpPort);
    ports.forEach(
        (option, port) -> {
          if (port < 0 || port > 65_535) {
            throw new ParameterException(
                spec.commandLine(),
                "Invalid value for option '"
                    + option
                    + "': expected a port in 0..65535 (0: any free port), but got "
                    + port);
          }
        });
    if (demoIntervalMs < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "Invalid value for option '--demo-interval-ms': expected at least 1, but got "
              + demoIntervalMs);
    }
  }

  /**
   * The signing key under the data directory, made on the first start and kept, so that the timer
   * records already in the embedded log still verify after a restart.
   */
  static Path signingKeyFile(Path data) throws IOException {
    Path file = data.resolve("signing.key");
    if (!Files.exists(file)) {
      Files.createDirectories(data);
      Path tmp = Files.createTempFile(data, "signing", ".tmp");
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException notPosix) {
        // the data directory's own permissions protect it
      }
      Files.writeString(tmp, RecordMac.randomKey() + "\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
    return file;
  }

  /** Counted down by Ctrl-C (and by tests). */
  final CountDownLatch stop = new CountDownLatch(1);

  /** Counted down once everything started is closed; the shutdown hook waits for it. */
  final CountDownLatch stopped = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    checkArguments(); // before anything starts
    PrintStream out =
        new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true);
    try {
      ProtocolCatalog.load(protocols); // refuse bad definitions before starting anything
    } catch (ProtocolLoadException e) {
      e.problems().forEach(p -> spec.commandLine().getErr().println(p));
      return 1;
    }
    Path registryHome;
    try {
      registryHome = EmbeddedRegistry.locateHome(Environment.variable(EmbeddedRegistry.HOME_ENV));
    } catch (IllegalStateException e) {
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return 1;
    }
    List<AutoCloseable> started = new ArrayList<>();
    Thread hook =
        new Thread(
            () -> {
              stop.countDown();
              try {
                stopped.await(60, java.util.concurrent.TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "statewarden-local-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Path data = dataDir.toAbsolutePath();
      EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), kafkaPort);
      started.add(kafka);
      out.println("Kafka broker:      " + kafka.bootstrapServers());
      EmbeddedRegistry registry =
          EmbeddedRegistry.start(registryHome, data.resolve("registry"), registryPort);
      started.add(registry);
      // our hook closes it, after the processor: its own would kill it concurrently
      registry.leaveStoppingToCaller();
      out.println("Apicurio Registry: " + registry.url());

      Topics topics = Topics.DEFAULTS;
      Map<String, Integer> partitions = new LinkedHashMap<>();
      topics.all().forEach(t -> partitions.put(t, PARTITIONS));
      TopicAdmin.create(
          Map.of("bootstrap.servers", kafka.bootstrapServers()), partitions, Map.of());

      Map<String, String> settings = new HashMap<>();
      settings.put("bootstrap.servers", kafka.bootstrapServers());
      settings.put("apicurio.registry.url", registry.url());
      settings.put("state.dir", data.resolve("streams").toString());
      settings.put(StatewardenConfig.HTTP_HOST, "127.0.0.1"); // as printed below, whatever the env
      settings.put(StatewardenConfig.HTTP_PORT, String.valueOf(httpPort));
      settings.put("replication.factor", "1");
      settings.put(StatewardenConfig.SIGNING_KEY_FILE, signingKeyFile(data).toString());
      StatewardenConfig config =
          StatewardenConfig.load(null, Environment.variables(), settings, protocols);
      StatewardenApp app = StatewardenApp.start(config);
      started.add(app);
      out.println("statewarden HTTP:  http://127.0.0.1:" + app.httpPort() + " (/health/ready)");
      out.println("Console:           http://127.0.0.1:" + app.httpPort() + "/");
      out.println("Data directory:    " + data);
      if (demo) {
        started.add(new OutputTail(kafka.bootstrapServers(), registry.url(), topics, out));
        DemoTraffic traffic = new DemoTraffic(kafka.bootstrapServers(), registry.url(), topics);
        started.add(traffic);
        traffic.start(demoIntervalMs);
        out.println("Demo traffic on; transitions and backouts follow. Ctrl-C stops everything.");
      } else {
        out.println("Running. Ctrl-C stops everything.");
      }
      stop.await();
      out.println("Stopping...");
      return 0;
    } catch (io.statewarden.app.StartupException e) {
      // e.g. the registry refused the schemas: one line, the exit status run gives it
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return e.unreachable() ? 3 : 1;
    } catch (org.apache.kafka.common.config.ConfigException e) {
      // a STATEWARDEN_* variable that is wrong, or that opens the HTTP API beyond loopback
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return 1;
    } finally {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception e) {
          spec.commandLine().getErr().println("while stopping: " + e);
        }
      }
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: it waits for this thread, which has closed everything
      }
    }
  }
}
