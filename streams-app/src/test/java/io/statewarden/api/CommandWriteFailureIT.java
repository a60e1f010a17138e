package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.app.StatewardenApp;
import io.statewarden.cli.Cli;
import io.statewarden.cli.Main;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.metrics.Metrics;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.topology.CommandWriter;
import io.statewarden.topology.RecordMac;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A command whose write to Kafka fails (the brokers are gone; the registry is up) is answered 503
 * with its command id, within the producer's delivery timeout, through the real HTTP server and the
 * CLI: the operator retries with the same id, which applies once whether or not the first write
 * landed (docs/decisions/0016, 0019).
 */
@ExtendWith(RealKafka.class)
class CommandWriteFailureIT {
  static final String OPERATOR = "alice-token-0123456789";
  static final Duration DELIVERY = Duration.ofSeconds(4);

  @TempDir Path dir;

  final List<AutoCloseable> opened = new ArrayList<>();
  final ObjectMapper json = new ObjectMapper();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) opened.get(i).close();
  }

  /** The HTTP API with operator commands whose writer's brokers do not answer. */
  HttpApi api(KafkaInfra infra) throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort(); // closed again: nothing listens there
    }
    Deployment d = new Deployment(infra, dir.resolve("state"), 1);
    opened.add(d);
    Map<String, String> settings = d.settings();
    StatewardenConfig config = StatewardenConfig.load(null, Map.of(), settings, List.of());
    // the schemas are in the registry: what fails is the brokers, not the registry
    StatewardenApp.publishSchemas(config, d.topics);
    CommandWriter writer =
        new CommandWriter(
            Map.of("bootstrap.servers", "127.0.0.1:" + dead),
            config.kafka(),
            RecordMac.of(Deployment.SIGNING_KEY, List.of()),
            d.topics.events(),
            DELIVERY);
    opened.add(writer);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "write-failure");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + dead);
    p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    StreamsBuilder b = new StreamsBuilder();
    b.stream("in");
    KafkaStreams streams = new KafkaStreams(b.build(), p);
    opened.add(streams);
    HttpApi api = new HttpApi("127.0.0.1", 0, null, new HttpApi.Limits(Duration.ofSeconds(5), 16));
    opened.add(api);
    api.operators(null, Map.of("alice", OPERATOR), writer::write, writer::write);
    ProtocolCatalog catalog = ProtocolCatalog.load(List.of());
    api.start(
        streams,
        catalog,
        new SessionQuery(
            streams,
            new Engine(catalog, EngineConfig.DEFAULTS),
            new HostInfo("127.0.0.1", api.port()),
            null),
        new Metrics());
    return api;
  }

  HttpResponse<String> post(int port, String path, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                // the CLI's wait: the answer must come before it
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + OPERATOR)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldAnswer503WithTheCommandIdWhenTheWriteFails(KafkaInfra infra) throws Exception {
    // given the API whose brokers are gone
    HttpApi api = api(infra);

    // when a command with an id, and one without, are sent
    long start = System.nanoTime();
    HttpResponse<String> given =
        post(api.port(), "/sessions/s1/cancel", "{\"reason\":\"stuck\",\"commandId\":\"c-1\"}");
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    HttpResponse<String> generated = post(api.port(), "/sessions/s1/cancel", "{\"reason\":\"x\"}");

    // then both are 503 with their command id, within the producer's timeouts
    assertThat(given.statusCode()).as(given.body()).isEqualTo(503);
    JsonNode a = json.readTree(given.body());
    assertThat(a.get("commandId").asText()).isEqualTo("c-1");
    assertThat(a.get("error").asText())
        .isEqualTo("not known to be logged: retry with the same commandId");
    assertThat(tookMs).isLessThan(DELIVERY.multipliedBy(3).toMillis());
    assertThat(generated.statusCode()).as(generated.body()).isEqualTo(503);
    assertThat(json.readTree(generated.body()).get("commandId").asText()).hasSize(36);

    // and the CLI says which id to retry with, without a stack trace
    Path token = Files.writeString(dir.resolve("token"), OPERATOR);
    // (the server, in this JVM, logs the failure with its cause: not part of the CLI's output)
    Logger writerLog =
        ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(CommandWriter.class);
    writerLog.setLevel(Level.OFF);
    Cli.Run cli;
    try {
      cli =
          Cli.run(
              Main::main,
              "",
              "session",
              "retry",
              "s1",
              "--url",
              "http://127.0.0.1:" + api.port(),
              "--token-file",
              token.toString());
    } finally {
      writerLog.setLevel(null);
    }
    assertThat(cli.exit()).as(cli.all()).isEqualTo(3);
    cli.assertNoStackTrace();
    assertThat(cli.err())
        .containsPattern("\"commandId\":\"[0-9a-f-]{36}\"")
        .contains("retry with the same commandId");
  }
}
