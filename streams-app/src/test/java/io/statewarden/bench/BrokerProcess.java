package io.statewarden.bench;

import io.statewarden.embedded.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmarks' broker: the same single-node KRaft broker as {@code local}'s embedded one, either
 * in this JVM or, by default ({@code bench.broker=process}), in a JVM of its own, so the CPU the
 * broker spends is not mixed with the stream thread's in one process and can be reported apart.
 */
interface BrokerProcess extends AutoCloseable {
  String bootstrapServers();

  /** CPU time the broker has used so far, in ns; -1 when it shares this JVM. */
  long cpuNanos();

  @Override
  void close();

  static BrokerProcess start(Path dir) throws IOException {
    Map<String, String> props = Bench.kvs(Bench.prop("bench.broker.props", ""));
    if (!props.isEmpty()) System.out.println("broker settings over EmbeddedKafka's: " + props);
    return Bench.prop("bench.broker", "process").equals("inprocess")
        ? inProcess(EmbeddedKafka.start(dir, 0, props))
        : Child.start(dir);
  }

  private static BrokerProcess inProcess(EmbeddedKafka k) {
    return new BrokerProcess() {
      @Override
      public String bootstrapServers() {
        return k.bootstrapServers();
      }

      @Override
      public long cpuNanos() {
        return -1;
      }

      @Override
      public void close() {
        k.close();
      }
    };
  }

  /** The broker in a JVM of its own, started from this JVM's class path. */
  final class Child implements BrokerProcess {
    private final Process process;
    private final String bootstrap;

    private Child(Process process, String bootstrap) {
      this.process = process;
      this.bootstrap = bootstrap;
    }

    static Child start(Path dir) throws IOException {
      Path ready = dir.resolveSibling("broker.ready");
      Path log = dir.resolveSibling("broker.log");
      Files.deleteIfExists(ready);
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      cmd.add("-Xmx" + Bench.prop("bench.broker.heap", "2g"));
      cmd.add("-Dbench.broker.props=" + Bench.prop("bench.broker.props", ""));
      cmd.addAll(Bench.extraJvmArgs("bench.broker.jvm"));
      cmd.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              Child.class.getName(),
              dir.toAbsolutePath().toString(),
              ready.toAbsolutePath().toString()));
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!Files.exists(ready)) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IOException("the broker process did not start; see " + log);
        }
        try {
          Thread.sleep(100); // a child process: nothing to wait on but its file
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      System.out.printf("broker: its own JVM (pid %d), log in %s%n", p.pid(), log);
      return new Child(p, Files.readString(ready).trim());
    }

    @Override
    public String bootstrapServers() {
      return bootstrap;
    }

    @Override
    public long cpuNanos() {
      return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    @Override
    public void close() {
      try {
        process.getOutputStream().close(); // the child stops at the end of its input
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor();
        }
      } catch (IOException e) {
        process.destroyForcibly();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    /** The child: start the broker, say where it is, run until the parent closes our input. */
    public static void main(String[] args) throws IOException {
      Map<String, String> props = Bench.kvs(Bench.prop("bench.broker.props", ""));
      try (EmbeddedKafka k = EmbeddedKafka.start(Path.of(args[0]), 0, props)) {
        Path tmp = Path.of(args[1] + ".tmp");
        Files.writeString(tmp, k.bootstrapServers());
        Files.move(tmp, Path.of(args[1]), StandardCopyOption.ATOMIC_MOVE);
        while (System.in.read() >= 0) {
          // a parent that dies closes the pipe too
        }
      }
      System.exit(0);
    }
  }
}
