package io.statewarden.deploy.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The example of docs/testing-with-statewarden.md, run: statewarden's image next to Kafka and
 * Apicurio Registry in a user's own Testcontainers test. The images are the locally built ones
 * here; a user's test names the public ones (apache/kafka, quay.io/apicurio/apicurio-registry) and
 * their statewarden image.
 */
@Tag("container")
@ExtendWith(ContainerEngine.class)
class TestcontainersExampleIT {
  static final String KAFKA_IMAGE = TestImages.KAFKA; // e.g. "apache/kafka:4.1.0"
  static final String REGISTRY_IMAGE =
      TestImages.REGISTRY; // "quay.io/apicurio/apicurio-registry:3.0.9"
  static final String STATEWARDEN_IMAGE = TestImages.STATEWARDEN; // your statewarden image

  @BeforeAll
  static void images() {
    TestImages.buildStatewarden();
    TestImages.build("kafka", "registry");
  }

  // --8<-- example
  @Test
  void shouldAnswerForASessionStartedByAnEvent() throws Exception {
    try (Network network = Network.newNetwork();
        KafkaContainer kafka =
            new KafkaContainer(
                    DockerImageName.parse(KAFKA_IMAGE).asCompatibleSubstituteFor("apache/kafka"))
                .withNetwork(network)
                .withListener("kafka:19092"); // how statewarden reaches it
        GenericContainer<?> registry =
            new GenericContainer<>(DockerImageName.parse(REGISTRY_IMAGE))
                .withNetwork(network)
                .withNetworkAliases("registry")
                .withExposedPorts(8080)
                .waitingFor(Wait.forHttp("/health/ready").forPort(8080));
        GenericContainer<?> statewarden =
            new GenericContainer<>(DockerImageName.parse(STATEWARDEN_IMAGE))
                .withNetwork(network)
                .withEnv("STATEWARDEN_BOOTSTRAP_SERVERS", "kafka:19092")
                .withEnv(
                    "STATEWARDEN_APICURIO_REGISTRY_URL", "http://registry:8080/apis/registry/v3")
                .withEnv("STATEWARDEN_REPLICATION_FACTOR", "1")
                .withEnv("STATEWARDEN_SIGNING_KEY", "a-test-key-of-at-least-32-characters")
                .withEnv("STATEWARDEN_HTTP_ALLOW__ANONYMOUS", "true") // or a token
                .withExposedPorts(8070)
                .waitingFor(
                    Wait.forHttp("/health/ready")
                        .forPort(8070)
                        .withStartupTimeout(Duration.ofMinutes(3)))) {
      kafka.start();
      registry.start();
      // statewarden's topics (`run` does not create them), one partition count for both inputs
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.getBootstrapServers()))) {
        admin
            .createTopics(
                Stream.of("events", "events.json", "transitions", "backouts", "audit", "dlq")
                    .map(t -> new NewTopic("statewarden." + t, 3, (short) 1))
                    .toList())
            .all()
            .get();
      }
      statewarden.start();

      // an event in, as JSON
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.getBootstrapServers()),
              new StringSerializer(),
              new StringSerializer())) {
        producer
            .send(
                new ProducerRecord<>(
                    "statewarden.events.json",
                    "call-1",
                    "{\"eventId\":\"e1\",\"sessionId\":\"call-1\",\"protocol\":\"taleus-listener\","
                        + "\"type\":\"InboundContact\",\"payload\":{}}"))
            .get();
      }

      // the session, as statewarden's HTTP API answers for it
      HttpClient http = HttpClient.newHttpClient();
      URI session =
          URI.create(
              "http://"
                  + statewarden.getHost()
                  + ":"
                  + statewarden.getMappedPort(8070)
                  + "/sessions/call-1");
      HttpResponse<String> answer =
          Awaitility.await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      http.send(
                          HttpRequest.newBuilder(session).build(),
                          HttpResponse.BodyHandlers.ofString()),
                  r -> r.statusCode() == 200);
      // the listener's first state, or its 5 s deadline's if that has passed already
      assertThat(answer.body())
          .containsAnyOf("\"state\":\"L_PROCESS_CONTACT\"", "\"state\":\"L_TIMEOUT\"");
    }
  }
  // --8<-- example
}
