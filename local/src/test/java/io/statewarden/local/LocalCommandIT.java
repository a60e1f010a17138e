package io.statewarden.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.Topics;
import io.statewarden.embedded.Ports;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.DocBlocks;
import io.statewarden.testsupport.PrometheusTextParser;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code local --demo} as a user runs it: the built local jar in its own JVM starts a real broker
 * and registry, transitions and backouts appear on the output topics, {@code /metrics} reads back
 * strictly, stopping it (SIGTERM, the same shutdown path as Ctrl-C) leaves nothing running, and
 * neither the start nor the stop prints a warning, an error or a stack trace.
 */
class LocalCommandIT {
  /** A log line as logback.xml formats it: time, level, logger (abbreviated), message. */
  private static final Pattern LOG_LINE =
      Pattern.compile(
          "^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (TRACE|DEBUG|INFO|WARN|ERROR) +(\\S+) - (.*)$");

  /**
   * A line of java.util.logging's default console format ({@code Nov 26, 2026 5:52:52 PM
   * some.Logger method} then {@code INFO: ...}): a library logging past logback's levels and
   * format.
   */
  private static final Pattern JUL_LINE =
      Pattern.compile(
          "^([A-Z][a-z]{2} \\d{1,2}, \\d{4} \\d{1,2}:\\d{2}:\\d{2} [AP]M |(SEVERE|WARNING|INFO|CONFIG|FINE): )");

  private static final Pattern STACK_TRACE =
      Pattern.compile(
          "^(\\tat |\\s*Caused by: |\\s*Suppressed: |\\t\\.\\.\\. \\d+ more|Exception in thread )"
              + "|^[\\w.$]+(Exception|Error)(: .*)?$");

  /**
   * Warnings of libraries that statewarden cannot prevent, each by its logger as printed and the
   * start of its message.
   */
  private static final List<List<String>> EXPECTED_WARNINGS =
      List.of(
          // org.apache.kafka.controller.QuorumController: the controller of a newly formatted node
          // reports, at WARN, that it starts from an empty metadata log (only on the first start in
          // a data directory); the bootstrap records it then writes are the ones Formatter
          // prepared
          List.of(
              "o.a.k.c.QuorumController",
              "[QuorumController id=1] Performing controller activation. The metadata log appears"
                  + " to be empty."),
          // org.apache.kafka.clients.NetworkClient: the broker's own shutdown closes its
          // registration channel's client twice (BrokerServer.shutdown); nothing outside the
          // broker is involved
          List.of(
              "o.a.k.clients.NetworkClient",
              "[NodeToControllerChannelManager id=1 name=registration] Attempting to close"
                  + " NetworkClient that has already been closed."));

  /** The lines that are a warning, an error or part of a stack trace, less the expected ones. */
  static List<String> problems(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      Matcher m = LOG_LINE.matcher(l);
      if (m.matches()) {
        boolean bad = m.group(1).equals("WARN") || m.group(1).equals("ERROR");
        boolean expected =
            m.group(1).equals("WARN")
                && EXPECTED_WARNINGS.stream()
                    .anyMatch(w -> m.group(2).equals(w.get(0)) && m.group(3).startsWith(w.get(1)));
        if (bad && !expected) out.add(l);
      } else if (STACK_TRACE.matcher(l).find()
          || l.startsWith("while stopping: ")
          || JUL_LINE.matcher(l).find()) {
        out.add(l);
      }
    }
    return out;
  }

  @TempDir Path dir;

  @Test
  void shouldRunDemoShowTransitionsAndBackoutsAndStopEverything() throws Exception {
    int kafkaPort = Ports.freeLoopbackPort();
    int registryPort = Ports.freeLoopbackPort();
    int httpPort = Ports.freeLoopbackPort();
    Path data = Path.of("target", "local-it", UUID.randomUUID().toString()).toAbsolutePath();
    // the README's quick start as printed, plus flags for ports and a directory of its own
    List<String> command = quickStart();
    command.addAll(
        List.of(
            "--kafka-port",
            "" + kafkaPort,
            "--registry-port",
            "" + registryPort,
            "--http-port",
            "" + httpPort,
            "--data-dir",
            // as a user's ./.statewarden, not under the OS temp directory (Kafka Streams warns
            // about a state directory there, which @TempDir would be)
            data.toString(),
            "--demo-interval-ms",
            "250"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
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
      // the console, at the address local prints
      String console = "http://127.0.0.1:" + httpPort + "/";
      assertThat(lines).contains("Console:           " + console);
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create(console)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<html");

      List<Object> seen =
          consumeUntil("127.0.0.1:" + kafkaPort, registry, 30, Duration.ofSeconds(90));
      assertThat(seen)
          .hasAtLeastOneElementOfType(Transition.class)
          .hasAtLeastOneElementOfType(Backout.class);
      assertThat(lines)
          .anyMatch(l -> l.startsWith("transition "))
          .anyMatch(l -> l.startsWith("BACKOUT "));

      // and the producer of docs/producing-and-consuming.md, as printed, works from its first
      // event: it only looks up the schema, which local published at start
      runDocProducer("127.0.0.1:" + kafkaPort, registry);
      assertThat(sessionTransitions("127.0.0.1:" + kafkaPort, registry, "order-7"))
          .as("order-7's transitions")
          .isNotEmpty();
      HttpResponse<String> events =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          registry + "/groups/default/artifacts/statewarden.events-value/versions"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(events.body()).as("only statewarden registered a schema").contains("\"count\":1");

      HttpResponse<String> metrics =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      // the names the Grafana dashboard charts, now that there were events and transitions
      // (deploy/k8s/base/grafana-dashboard.json)
      assertThat(PrometheusTextParser.parse(metrics.body()))
          .containsKeys(
              "statewarden_events_total",
              "statewarden_transitions_total",
              "statewarden_deadline_lateness_seconds",
              "statewarden_deadlines_pending",
              "kafka_stream_thread_metrics_process_rate");
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
    // Kafka Streams rightly warns about a state directory under the OS temp directory: that is
    // where ./target is when the checkout itself is there (a CI clone under /tmp)
    boolean underTemp =
        data.startsWith(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath());
    assertThat(problems(lines))
        .as("warnings, errors and stack traces of a clean start and stop")
        .filteredOn(
            l -> !(underTemp && l.contains("Using an OS temp directory in the state.dir property")))
        .isEmpty();
  }

  /**
   * The command of the README's quick start that starts {@code local}, with the running JVM's
   * {@code java} and the jar's path from the repository root.
   */
  static List<String> quickStart() {
    List<String> commands = DocBlocks.commands(DocBlocks.block("README.md", "quick-start"));
    String line =
        commands.stream()
            .filter(l -> l.contains("java -jar"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("README.md quick start: no 'java -jar' command"));
    String[] steps = line.split("&&");
    assertThat(steps[0].strip()).as("the quick start's build step").startsWith("./mvnw ");
    assertThat(steps[0]).contains(" package");
    List<String> words = new ArrayList<>(List.of(steps[steps.length - 1].strip().split("\\s+")));
    assertThat(words.subList(0, 2)).containsExactly("java", "-jar");
    words.set(0, ProcessHandle.current().info().command().orElse("java"));
    Path jar = DocBlocks.ROOT.resolve(words.get(2));
    assertThat(jar).as("the jar the README runs is the one this build made").isRegularFile();
    assertThat(jar).isEqualTo(Path.of("target/statewarden-local.jar").toAbsolutePath());
    words.set(2, jar.toString());
    return words;
  }

  /**
   * Compiles the producer snippet of docs/producing-and-consuming.md as printed (its imports, then
   * its statements as the body of a method), with the addresses of {@code local}'s defaults swapped
   * for the test's, and runs it.
   */
  static void runDocProducer(String bootstrap, String registry) throws Exception {
    String code = DocBlocks.block("docs/producing-and-consuming.md", "producer");
    code = swap(code, "127.0.0.1:9092", bootstrap);
    code = swap(code, "http://127.0.0.1:8080/apis/registry/v3", registry);
    StringBuilder imports = new StringBuilder();
    StringBuilder body = new StringBuilder();
    code.lines().forEach(l -> (l.startsWith("import ") ? imports : body).append(l).append('\n'));
    String source =
        imports
            + "public class DocProducer {\n  public static void run() throws Exception {\n"
            + body
            + "  }\n}\n";
    Path dir = Files.createTempDirectory(Path.of("target"), "doc-producer");
    Path file = dir.resolve("DocProducer.java");
    Files.writeString(file, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertThat(javac).as("a JDK's compiler").isNotNull();
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    int rc =
        javac.run(
            null,
            diagnostics,
            diagnostics,
            "--release",
            "17",
            "-cp",
            classpath,
            "-d",
            dir.toString(),
            file.toString());
    assertThat(rc)
        .as("the snippet compiles:%n%s%n%s", diagnostics.toString(StandardCharsets.UTF_8), source)
        .isZero();
    try (URLClassLoader loader =
        new URLClassLoader(
            new java.net.URL[] {dir.toUri().toURL()}, LocalCommandIT.class.getClassLoader())) {
      loader.loadClass("DocProducer").getMethod("run").invoke(null);
    }
  }

  private static String swap(String code, String printed, String actual) {
    assertThat(code).as("the snippet names %s once", printed).containsOnlyOnce(printed);
    return code.replace(printed, actual);
  }

  /** The transitions of one session, read_committed, once there is at least one. */
  static List<Transition> sessionTransitions(String bootstrap, String registry, String session) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "local-it-doc");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put("apicurio.registry.url", registry);
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
    values.configure(c, false);
    List<Transition> seen = new ArrayList<>();
    try (KafkaConsumer<String, Object> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), values)) {
      consumer.subscribe(List.of(Topics.DEFAULTS.transitions()));
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < end && seen.isEmpty()) {
        for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value() instanceof Transition t && t.getSessionId().equals(session)) seen.add(t);
        }
      }
    }
    return seen;
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
