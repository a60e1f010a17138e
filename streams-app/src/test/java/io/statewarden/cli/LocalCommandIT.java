package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.Topics;
import io.statewarden.local.Ports;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Transition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code local --demo} as a user runs it: the built jar in its own JVM starts a real broker and
 * registry, transitions and backouts appear on the output topics, and stopping it (SIGTERM, the
 * same shutdown path as Ctrl-C) leaves nothing running.
 */
class LocalCommandIT {
  @TempDir Path dir;

  @Test
  void shouldRunDemoShowTransitionsAndBackoutsAndStopEverything() throws Exception {
    int kafkaPort = Ports.freeLoopbackPort();
    int registryPort = Ports.freeLoopbackPort();
    int httpPort = Ports.freeLoopbackPort();
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-Xmx512m",
                "-jar",
                Path.of("target/statewarden.jar").toAbsolutePath().toString(),
                "local",
                "--demo",
                "--kafka-port",
                "" + kafkaPort,
                "--registry-port",
                "" + registryPort,
                "--http-port",
                "" + httpPort,
                "--data-dir",
                dir.resolve("data").toString(),
                "--demo-interval-ms",
                "250")
            .redirectErrorStream(true)
            .start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
              } catch (Exception e) {
                lines.add("reader: " + e);
              }
            });
    reader.start();
    List<ProcessHandle> children = new ArrayList<>();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .pollInSameThread()
          .until(
              () -> lines.stream().anyMatch(l -> l.startsWith("Demo traffic on")) || !p.isAlive());
      assertThat(p.isAlive()).as("local exited early: %s", lines).isTrue();
      assertThat(lines).contains("Kafka broker:      127.0.0.1:" + kafkaPort);
      String registry = "http://127.0.0.1:" + registryPort + "/apis/registry/v3";
      assertThat(lines).contains("Apicurio Registry: " + registry);
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest readiness =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
              .build();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .pollInSameThread()
          .until(
              () -> http.send(readiness, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      p.descendants().forEach(children::add);
      assertThat(children).as("the registry runs as a child process").isNotEmpty();

      List<Object> seen =
          consumeUntil("127.0.0.1:" + kafkaPort, registry, 30, Duration.ofSeconds(90));
      assertThat(seen)
          .hasAtLeastOneElementOfType(Transition.class)
          .hasAtLeastOneElementOfType(Backout.class);
      assertThat(lines)
          .anyMatch(l -> l.startsWith("transition "))
          .anyMatch(l -> l.startsWith("BACKOUT "));
    } finally {
      p.toHandle()
          .destroy(); // SIGTERM, the same shutdown hook as Ctrl-C; keeps our end of the pipe open
      boolean exited = p.waitFor(60, TimeUnit.SECONDS);
      if (!exited) p.destroyForcibly();
      reader.join(5_000);
      assertThat(exited).as("local stops within 60 s: %s", lines).isTrue();
      System.out.println(
          "LOCAL TAIL "
              + p.exitValue()
              + " "
              + lines.subList(Math.max(0, lines.size() - 6), lines.size()));
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .failFast(
            "no Stopping... line: " + lines.subList(Math.max(0, lines.size() - 8), lines.size()),
            () -> false)
        .until(() -> lines.contains("Stopping..."));
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(Ports.isFree(kafkaPort) && Ports.isFree(registryPort) && Ports.isFree(httpPort))
        .as("ports released")
        .isTrue();
  }

  /**
   * Transitions and backouts, read_committed, until {@code min} of them with at least one backout.
   */
  static List<Object> consumeUntil(String bootstrap, String registry, int min, Duration timeout) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "local-it");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put("apicurio.registry.url", registry);
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
    values.configure(c, false);
    List<Object> seen = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), values)) {
      consumer.subscribe(List.of(Topics.DEFAULTS.transitions(), Topics.DEFAULTS.backouts()));
      long end = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < end
          && (seen.size() < min || seen.stream().noneMatch(Backout.class::isInstance))) {
        for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(500)))
          seen.add(r.value());
      }
    }
    return seen;
  }
}
