package io.statewarden.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.schema.ProtocolEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Proves the shared broker and registry are real: a transactional Avro round trip. */
@ExtendWith(RealKafka.class)
class EmbeddedInfraIT {

  @Test
  void avroEventRoundTripsThroughBrokerAndRegistry(KafkaInfra infra) throws Exception {
    String topic = infra.uniqueName("protocol-events");
    infra.createTopics(Map.of(topic, 2));
    ProtocolEvent sent = event();

    try (KafkaProducer<String, ProtocolEvent> producer =
        new KafkaProducer<>(producerConfig(infra))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, sent.getSessionId(), sent));
      producer.commitTransaction();
    }

    List<ConsumerRecord<String, ProtocolEvent>> received = new ArrayList<>();
    try (KafkaConsumer<String, ProtocolEvent> consumer =
        new KafkaConsumer<>(consumerConfig(infra))) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return !received.isEmpty();
              });
    }
    assertThat(received).hasSize(1);
    assertThat(received.get(0).key()).isEqualTo("s-1");
    assertThat(received.get(0).value()).isInstanceOf(ProtocolEvent.class).isEqualTo(sent);

    JsonNode artifacts = getJson(infra.registryUrl() + "/groups/default/artifacts");
    assertThat(artifacts.path("artifacts").findValuesAsText("artifactId"))
        .contains(topic + "-value");
    JsonNode schema =
        getJson(
            infra.registryUrl()
                + "/groups/default/artifacts/"
                + topic
                + "-value/versions/branch=latest/content");
    assertThat(schema.path("name").asText()).isEqualTo("ProtocolEvent");
  }

  private static ProtocolEvent event() {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("amount", 42L);
    payload.put("confirmed", true);
    payload.put("fee", 0.25);
    payload.put("peer", "carol");
    payload.put("memo", null);
    return ProtocolEvent.newBuilder()
        .setEventId("e-1")
        .setSessionId("s-1")
        .setProtocol("taleus-listener")
        .setType("HooksComplete")
        .setPayload(payload)
        .build();
  }

  private static Map<String, Object> producerConfig(KafkaInfra infra) {
    Map<String, Object> config = infra.clientConfig();
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, infra.uniqueName("tx"));
    config.put("apicurio.registry.auto-register", true);
    return config;
  }

  private static Map<String, Object> consumerConfig(KafkaInfra infra) {
    Map<String, Object> config = infra.clientConfig();
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroKafkaDeserializer.class);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, infra.uniqueName("group"));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put("apicurio.registry.use-specific-avro-reader", true);
    return config;
  }

  private static JsonNode getJson(String url) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url))
                    .header("Accept", "application/json")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", url, response.body()).isEqualTo(200);
    return new ObjectMapper().readTree(response.body());
  }
}
