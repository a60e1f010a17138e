package io.statewarden.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry 3.0.9 server running as a child JVM on 127.0.0.1.
 *
 * <p>The server comes from the {@code io.apicurio:apicurio-registry-app:3.0.9:zip:all}
 * distribution, which the build unpacks beside the jars that start it ({@code
 * embedded/target/apicurio-registry} for the tests, {@code local/target/apicurio-registry} for
 * {@code statewarden-local.jar}; see {@link #locateHome(String)}). Storage is H2: in memory, or in
 * a file when a data directory is given. The child is stopped by {@link #close()}, and by a
 * shutdown hook if this JVM exits first.
 */
public final class EmbeddedRegistry implements AutoCloseable {
  /** System property the tests and benchmarks name the unpacked distribution directory with. */
  public static final String HOME_PROPERTY = "statewarden.registry.home";

  /** Environment variable {@code local} names the unpacked distribution directory with. */
  public static final String HOME_ENV = "STATEWARDEN_REGISTRY_HOME";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRegistry.class);
  private static final String DIST_DIR = "apicurio-registry";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final int START_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 40;

  private final Process process;
  private final Optional<Process> watchdog;
  private final int port;
  private final Path logFile;
  private final boolean temporaryLog;
  private final Thread shutdownHook;
  private boolean closed;

  private EmbeddedRegistry(Process process, int port, Path logFile, boolean temporaryLog) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
    this.temporaryLog = temporaryLog;
    this.shutdownHook = new Thread(this::close, "apicurio-registry-stopper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    this.watchdog = OrphanWatchdog.start(process.pid());
  }

  /**
   * Starts a registry that keeps its artifacts in memory, logging to a temporary file that {@link
   * #close()} deletes.
   *
   * @param home the unpacked distribution, from {@link #locateHome(String)}
   * @param port the HTTP port on 127.0.0.1, or 0 to choose a free one
   * @return the ready registry
   * @throws IllegalStateException when the server does not start
   */
  public static EmbeddedRegistry start(Path home, int port) {
    try {
      Path log = Files.createTempFile("apicurio-registry-", ".log");
      return start(home, port, log, true, Optional.empty());
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create the registry log file", e);
    }
  }

  /**
   * Starts a registry that keeps its artifacts in an H2 file database under {@code dataDir} (so
   * they survive restarts), logging to {@code dataDir/registry.log}.
   *
   * @param home the unpacked distribution, from {@link #locateHome(String)}
   * @param dataDir directory of the database and the log; created when missing
   * @param port the HTTP port on 127.0.0.1, or 0 to choose a free one
   * @return the ready registry
   * @throws IllegalStateException when the server does not start
   */
  public static EmbeddedRegistry start(Path home, Path dataDir, int port) {
    Path dir = dataDir.toAbsolutePath();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create registry data directory " + dir, e);
    }
    return start(home, port, dir.resolve("registry.log"), false, Optional.of(dir));
  }

  private static EmbeddedRegistry start(
      Path home, int port, Path logFile, boolean temporaryLog, Optional<Path> dataDir) {
    Path runner = runnerJar(home);
    RegistryStartException last = null;
    int attempts = port == 0 ? START_ATTEMPTS : 1;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      int httpPort = Ports.orFree(port);
      try {
        return startOnce(runner, httpPort, logFile, temporaryLog, dataDir);
      } catch (RegistryStartException e) {
        last = e;
        if (!e.exited) {
          break; // a timeout: another port will not help
        }
        LOG.warn("Registry exited while starting on port {} (attempt {})", httpPort, attempt);
      }
    }
    throw new IllegalStateException(last.getMessage(), last);
  }

  private static EmbeddedRegistry startOnce(
      Path runner, int httpPort, Path logFile, boolean temporaryLog, Optional<Path> dataDir)
      throws RegistryStartException {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Dquarkus.http.host=127.0.0.1");
    command.add("-Dquarkus.http.port=" + httpPort);
    dataDir.ifPresent(
        d -> command.add("-Dapicurio.datasource.url=jdbc:h2:file:" + d.resolve("registry")));
    command.add("-jar");
    command.add(runner.toString());
    long started = System.nanoTime();
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(runner.getParent().toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
    } catch (IOException e) {
      throw new IllegalStateException("Could not run " + command, e);
    }
    EmbeddedRegistry registry = new EmbeddedRegistry(process, httpPort, logFile, temporaryLog);
    try {
      registry.awaitReady();
    } catch (RegistryStartException | RuntimeException e) {
      registry.stop(); // keeps the log the message points at
      throw e;
    }
    LOG.info(
        "Apicurio Registry started at {} in {} ms (log {})",
        registry.url(),
        (System.nanoTime() - started) / 1_000_000,
        logFile);
    return registry;
  }

  /**
   * Finds the unpacked registry distribution: {@code configured} when it is set (the caller reads
   * it from {@value #HOME_ENV} or {@value #HOME_PROPERTY}), else {@code apicurio-registry} beside
   * the jar holding this class ({@code statewarden-local.jar}), or beside {@code target/classes}
   * when run from the build tree.
   *
   * @param configured the directory the user named, or null or blank for the default
   * @return the distribution directory, holding {@code apicurio-registry-app-*-runner.jar}
   * @throws IllegalStateException when it cannot be found, saying how to get it
   */
  public static Path locateHome(String configured) {
    Path home =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : codeLocation().getParent().resolve(DIST_DIR);
    if (findRunnerJar(home).isEmpty()) {
      throw new IllegalStateException(
          "No Apicurio Registry distribution (apicurio-registry-app-*-runner.jar) in "
              + home.toAbsolutePath()
              + ". `./mvnw -B package -DskipTests` unpacks it beside the jars that use it"
              + " (local/target/"
              + DIST_DIR
              + ", embedded/target/"
              + DIST_DIR
              + "); or point "
              + HOME_ENV
              + " (the tests: -D"
              + HOME_PROPERTY
              + ") at an unpacked io.apicurio:apicurio-registry-app:3.0.9:zip:all.");
    }
    return home;
  }

  private static Path codeLocation() {
    try {
      return Path.of(
              EmbeddedRegistry.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toAbsolutePath();
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException(
          "Cannot tell where statewarden runs from; set " + HOME_ENV, e);
    }
  }

  private static Path runnerJar(Path home) {
    return findRunnerJar(home).orElseThrow();
  }

  private static Optional<Path> findRunnerJar(Path home) {
    if (!Files.isDirectory(home)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> jars =
        Files.newDirectoryStream(home, "apicurio-registry-app-*-runner.jar")) {
      for (Path jar : jars) {
        return Optional.of(jar.toAbsolutePath());
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list " + home, e);
    }
  }

  /** The running JVM's {@code java}, else the first on the PATH. */
  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private void awaitReady() throws RegistryStartException {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw failure(
            "Apicurio Registry exited with status " + process.exitValue() + " while starting",
            true);
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("Interrupted while waiting for the registry", false);
      }
      try {
        process.waitFor(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("Interrupted while waiting for the registry", false);
      }
    }
    throw failure("Apicurio Registry was not ready at " + url() + " after " + READY_TIMEOUT, false);
  }

  /**
   * Leaves stopping this registry at JVM exit to the caller's own shutdown hook, which must then
   * {@link #close()} it. The JVM runs its shutdown hooks at the same time: a caller that stops its
   * processor first and the registry after (as {@code local} does on Ctrl-C) would otherwise see
   * the registry killed under the processor's last schema lookups. If this JVM dies without running
   * hooks, the watchdog still stops the registry.
   */
  public synchronized void leaveStoppingToCaller() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /**
   * The v3 REST API base, also the value for the serdes' {@code apicurio.registry.url}.
   *
   * @return {@code http://127.0.0.1:<port>/apis/registry/v3}
   */
  public String url() {
    return "http://127.0.0.1:" + port + "/apis/registry/v3";
  }

  /**
   * The HTTP port on 127.0.0.1.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The file receiving the server's standard output and error.
   *
   * @return the log file
   */
  public Path logFile() {
    return logFile;
  }

  /**
   * Stops the server and its descendants and waits until they are gone; deletes the log when it was
   * a temporary file.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    long started = System.nanoTime();
    stop();
    LOG.info("Apicurio Registry stopped in {} ms", (System.nanoTime() - started) / 1_000_000);
    if (temporaryLog) {
      try {
        Files.deleteIfExists(logFile);
      } catch (IOException e) {
        LOG.debug("Could not delete {}", logFile, e);
      }
    }
  }

  private synchronized void stop() {
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    destroy();
  }

  private void destroy() {
    watchdog.ifPresent(Process::destroy);
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("Apicurio Registry did not stop within {}; killing it", STOP_TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    all.forEach(p -> p.onExit().join());
  }

  private RegistryStartException failure(String message, boolean exited) {
    return new RegistryStartException(
        message + "; log " + logFile + ", last lines:" + System.lineSeparator() + logTail(),
        exited);
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join(
          System.lineSeparator(),
          lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(could not read " + logFile + ": " + e + ")";
    }
  }

  /** A failed start; {@code exited} when the process died rather than timed out. */
  private static final class RegistryStartException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean exited;

    RegistryStartException(String message, boolean exited) {
      super(message);
      this.exited = exited;
    }
  }
}
