package io.statewarden.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Connect worker as users run it: {@link ConnectLauncher} in its own JVM, on the class path the
 * build wrote to {@code target/launcher-classpath.txt}. Killing it (SIGKILL) is a crash: no offsets
 * are committed on the way down and its database connections drop with it.
 */
final class WorkerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);

  private final Process process;
  private final int port;
  private final Path log;

  private WorkerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Starts the launcher with these arguments (besides the REST port and the plugin path) and these
   * environment variables, and waits for its REST API.
   */
  static WorkerProcess start(List<String> args, Map<String, String> env, Path log) {
    int port = ConnectWorker.freeLoopbackPort();
    List<String> command = new ArrayList<>();
    command.add(ItPaths.launcher().toString());
    command.add("--rest-port=" + port);
    ItPaths.pluginPath(); // the script finds them itself; this says clearly when they are missing
    command.add("--parent-pid=" + ProcessHandle.current().pid());
    command.addAll(args);
    long started = System.nanoTime();
    try {
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(env);
      builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
      builder.environment().put("JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
      Process p =
          builder
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      WorkerProcess worker = new WorkerProcess(p, port, log);
      try {
        worker.rest().awaitReady();
      } catch (RuntimeException e) {
        worker.kill();
        throw new IllegalStateException(e.getMessage() + "\n" + worker.logTail(), e);
      }
      LOG.info(
          "Connect worker process {} ready on port {} in {} ms (log {})",
          p.pid(),
          port,
          (System.nanoTime() - started) / 1_000_000,
          log);
      return worker;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not run " + command, e);
    }
  }

  ConnectRest rest() {
    return new ConnectRest(URI.create("http://127.0.0.1:" + port + "/"));
  }

  /** The end of the worker's log, for failure messages. */
  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGKILL, as in a crash; waits until it is gone. */
  void kill() {
    process.destroyForcibly();
    waitFor();
    LOG.info("Connect worker process {} killed", process.pid());
  }

  /** SIGTERM: the worker stops its tasks and commits their offsets. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  private void waitFor() {
    try {
      process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
