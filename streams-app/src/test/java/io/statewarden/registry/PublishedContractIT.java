package io.statewarden.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.app.StartupException;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schemas are statewarden's to publish: a freshly started processor has put every contract
 * schema in the registry, with compatibility BACKWARD, before any producer wrote; a producer that
 * may only look schemas up (auto-register off, find-latest on) works from its first event; and
 * statewarden writes its own records with exactly the versions it published, adding none.
 */
@ExtendWith(RealKafka.class)
class PublishedContractIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void shouldPublishTheContractSoALookupOnlyProducerWorksFromItsFirstEvent(KafkaInfra infra)
      throws Exception {
    // given a deployment whose topics (and so artifact ids) nobody has used yet
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 1)) {
      var contract = SchemaPublisher.contract(d.topics);
      assertThat(contract).hasSize(4);
      for (String artifact : contract.keySet()) {
        assertThat(get(infra, artifact, "").statusCode()).as(artifact).isEqualTo(404);
      }

      // when the processor starts
      d.start();

      // then every contract schema is there, once, with its rule
      for (String artifact : contract.keySet()) {
        HttpResponse<String> rule = get(infra, artifact, "/rules/COMPATIBILITY");
        assertThat(rule.statusCode()).as("%s: %s", artifact, rule.body()).isEqualTo(200);
        assertThat(JSON.readTree(rule.body()).path("config").asText()).isEqualTo("BACKWARD");
        assertThat(versions(infra, artifact)).as(artifact).isEqualTo(1);
      }

      // and a producer configured the locked-down way works from its first event
      Map<String, Object> pc = infra.clientConfig();
      pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      pc.put("apicurio.registry.auto-register", "false");
      pc.put("apicurio.registry.find-latest", "true");
      AvroKafkaSerializer<ProtocolEvent> values = new AvroKafkaSerializer<>();
      values.configure(pc, false);
      try (KafkaProducer<String, ProtocolEvent> p =
          new KafkaProducer<>(pc, new StringSerializer(), values)) {
        ProtocolEvent e =
            Deployment.event("lookup-1", "e1", "taleus-listener", "InboundContact", Map.of());
        p.send(new ProducerRecord<>(d.topics.events(), e.getSessionId(), e)).get();
      }
      List<Transition> ts =
          d.awaitAvro(d.topics.transitions(), Transition.class, 1, Duration.ofSeconds(60));
      assertThat(ts).extracting(t -> t.getSessionId().toString()).containsOnly("lookup-1");
      assertThat(d.awaitAvro(d.topics.audit(), AuditRecord.class, 1, Duration.ofSeconds(30)))
          .isNotEmpty();

      // and statewarden wrote its records with the versions it published, and registered nothing
      // (before decision 0011 its serializers registered a second version, split into references)
      for (String topic : List.of(d.topics.transitions(), d.topics.audit())) {
        String artifact = topic + "-value";
        long published = version1(infra, artifact).path("contentId").asLong();
        List<ConsumerRecord<byte[], byte[]>> raw = d.awaitRaw(topic, 1, Duration.ofSeconds(30));
        for (ConsumerRecord<byte[], byte[]> r : raw) {
          assertThat(r.value()[0]).as("magic byte").isZero();
          assertThat(ByteBuffer.wrap(r.value(), 1, 4).getInt())
              .as("content id of a record on %s", topic)
              .isEqualTo(published);
        }
        assertThat(versions(infra, artifact)).as(artifact).isEqualTo(1);
        assertThat(get(infra, artifact, "/versions/1/references").body()).isEqualTo("[]");
      }

      // and publishing again changes nothing: still version 1 of each
      Map<String, String> again =
          new SchemaPublisher(infra.registryUrl(), Map.of(), Duration.ofSeconds(10))
              .publish(d.topics);
      assertThat(again).containsOnlyKeys(contract.keySet());
      assertThat(again.values()).containsOnly("1");
    }
  }

  @Test
  void shouldRefuseToStartWithPublishingOffUntilTheSchemasArePublished(KafkaInfra infra)
      throws Exception {
    // given a deployment that may not publish, in a registry without its schemas
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 1)) {
      d.extra.put(StatewardenConfig.SCHEMAS_PUBLISH, "false");

      // when it starts, then it stops at once, naming what is missing and what to run
      assertThatThrownBy(d::start)
          .isInstanceOf(StartupException.class)
          .hasMessageContaining(d.topics.transitions() + "-value")
          .hasMessageEndingWith("publish them with 'statewarden schemas publish'")
          .matches(e -> !((StartupException) e).unreachable(), "not 'unreachable' (exit 1)");
      for (String artifact : SchemaPublisher.contract(d.topics).keySet()) {
        assertThat(get(infra, artifact, "").statusCode()).as(artifact).isEqualTo(404);
      }

      // when a deploy step has published them, then it starts and writes its outputs
      new SchemaPublisher(infra.registryUrl(), Map.of(), Duration.ofSeconds(10)).publish(d.topics);
      d.start();
      d.sendAvro(
          "off-1",
          Deployment.event("off-1", "e1", "taleus-listener", "InboundContact", Map.of()),
          System.currentTimeMillis());
      assertThat(d.awaitAvro(d.topics.transitions(), Transition.class, 1, Duration.ofSeconds(60)))
          .extracting(t -> t.getSessionId().toString())
          .containsOnly("off-1");
    }
  }

  static int versions(KafkaInfra infra, String artifact) throws Exception {
    HttpResponse<String> r = get(infra, artifact, "/versions");
    assertThat(r.statusCode()).as("%s: %s", artifact, r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("count").asInt();
  }

  static JsonNode version1(KafkaInfra infra, String artifact) throws Exception {
    HttpResponse<String> r = get(infra, artifact, "/versions/1");
    assertThat(r.statusCode()).as("%s: %s", artifact, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static HttpResponse<String> get(KafkaInfra infra, String artifact, String suffix)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        infra.registryUrl() + "/groups/default/artifacts/" + artifact + suffix))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
