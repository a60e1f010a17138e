package io.statewarden.testsupport;

import io.statewarden.embedded.EmbeddedKafka;
import io.statewarden.embedded.EmbeddedRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The broker and registry of one test JVM, closed by JUnit when the run ends. */
final class SharedInfra implements ExtensionContext.Store.CloseableResource {
  /** {@code embedded} (default) or {@code testcontainers}. */
  static final String MODE_PROPERTY = "statewarden.kafka";

  /** Parent directory for the broker's data; a temporary directory when unset. */
  static final String DIR_PROPERTY = "statewarden.test.dir";

  private static final Logger LOG = LoggerFactory.getLogger(SharedInfra.class);

  private final AutoCloseable broker;
  private final AutoCloseable registry;
  private final Path dataDir;
  private final KafkaInfra infra;

  private SharedInfra(
      AutoCloseable broker,
      String bootstrap,
      AutoCloseable registry,
      String registryUrl,
      Path dataDir) {
    this.broker = broker;
    this.registry = registry;
    this.dataDir = dataDir;
    this.infra = new KafkaInfra(bootstrap, registryUrl);
  }

  /**
   * The registry distribution: {@code -Dstatewarden.registry.home} when set (the connectors' tests
   * set it), else beside the embedded module's classes.
   */
  static Path registryHome() {
    return EmbeddedRegistry.locateHome(System.getProperty(EmbeddedRegistry.HOME_PROPERTY));
  }

  /** Starts the registry and the broker side by side. */
  static SharedInfra start() {
    long started = System.nanoTime();
    String mode = System.getProperty(MODE_PROPERTY, "embedded");
    // the registry of the mode: an embedded one's url, or a container's
    CompletableFuture<Map.Entry<AutoCloseable, String>> registry =
        CompletableFuture.supplyAsync(
            () -> {
              if (mode.equals("testcontainers")) {
                ContainerRegistry r = ContainerRegistry.start();
                return Map.entry(r, r.url());
              }
              EmbeddedRegistry r = EmbeddedRegistry.start(registryHome(), 0);
              return Map.entry(r, r.url());
            });
    Path dataDir = null;
    AutoCloseable broker;
    String bootstrap;
    try {
      if (mode.equals("testcontainers")) {
        ContainerKafka container = ContainerKafka.start();
        broker = container;
        bootstrap = container.bootstrapServers();
      } else if (mode.equals("embedded")) {
        dataDir = newDataDir();
        EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, 0);
        broker = kafka;
        bootstrap = kafka.bootstrapServers();
      } else {
        throw new IllegalArgumentException(
            MODE_PROPERTY + " must be embedded or testcontainers, but got " + mode);
      }
    } catch (RuntimeException e) {
      registry.thenAccept(r -> closeQuietly(r.getKey()));
      throw e;
    }
    try {
      Map.Entry<AutoCloseable, String> r = registry.join();
      SharedInfra shared = new SharedInfra(broker, bootstrap, r.getKey(), r.getValue(), dataDir);
      LOG.info(
          "Test infrastructure ({} broker, registry) ready in {} ms: {}",
          mode,
          (System.nanoTime() - started) / 1_000_000,
          shared.infra);
      return shared;
    } catch (CompletionException e) {
      closeQuietly(broker);
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  KafkaInfra infra() {
    return infra;
  }

  @Override
  public void close() throws Exception {
    try (registry;
        broker) {
      LOG.info("Stopping the test infrastructure");
    }
    if (dataDir != null) {
      deleteRecursively(dataDir);
    }
  }

  private static Path newDataDir() {
    try {
      String parent = System.getProperty(DIR_PROPERTY);
      if (parent == null || parent.isBlank()) {
        return Files.createTempDirectory("statewarden-kafka-");
      }
      Files.createDirectories(Path.of(parent));
      return Files.createTempDirectory(Path.of(parent), "kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("Could not close {}", closeable, e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
