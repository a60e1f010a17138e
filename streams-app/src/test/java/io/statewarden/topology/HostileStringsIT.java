package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live, through the real Apicurio serdes: strings that could make two distinct ids one (an Avro
 * string whose bytes are not UTF-8, a JSON unpaired surrogate) and a JSON key given twice are
 * dead-lettered with their reason, and the good events around them are applied.
 */
@ExtendWith(RealKafka.class)
class HostileStringsIT {
  @TempDir Path dir;

  @Test
  void shouldDeadLetterStringsThatAreNotTextAndKeysGivenTwice(KafkaInfra infra) throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 1)) {
      d.start();
      long t = System.currentTimeMillis();

      // an Avro record as the real serializer writes it, with "\u00e9" (C3 A9) made C3 28
      byte[] avro = serialize(infra, d.topics.events(), open("s1", "e-\u00e9"));
      patch(avro);
      d.sendRaw(d.topics.events(), "s1", avro, t);
      d.sendJson(
          "s2", Deployment.json("s2", "e-\\ud800", "taleus-listener", "InboundContact", "{}"), t);
      d.sendJson(
          "s3",
          Deployment.json("s3", "e-s3", "taleus-listener", "InboundContact", "{\"n\":1,\"n\":2}"),
          t);
      // and good ones
      d.sendAvro("s4", open("s4", "e-\u00e9"), t);
      d.sendJson(
          "s5",
          Deployment.json("s5", "e-\\ud83d\\ude00", "taleus-listener", "InboundContact", "{}"),
          t);

      List<ConsumerRecord<byte[], byte[]>> dead =
          d.awaitRaw(d.topics.dlq(), 3, Duration.ofSeconds(60));
      assertThat(dead)
          .extracting(r -> new String(r.key(), StandardCharsets.UTF_8) + ": " + error(r))
          .containsExactlyInAnyOrder(
              "s1: a string is not UTF-8: malformed at byte 2 of 4; Avro strings are UTF-8 text",
              "s2: eventId has an unpaired surrogate at index 2: strings must be Unicode text",
              "s3: duplicate key 'n' in payload: a key may appear once in an object");
      List<AuditRecord> audits =
          d.awaitAvro(d.topics.audit(), AuditRecord.class, 2, Duration.ofSeconds(60));
      assertThat(audits)
          .filteredOn(a -> a.getEventId() != null) // not the deadlines of these sessions
          .extracting(a -> a.getSessionId() + " " + a.getEventId() + " " + a.getDecision())
          .containsExactlyInAnyOrder("s4 e-\u00e9 ACCEPTED", "s5 e-\ud83d\ude00 ACCEPTED");
    }
  }

  static ProtocolEvent open(String session, String eventId) {
    return Deployment.event(session, eventId, "taleus-listener", "InboundContact", Map.of());
  }

  @SuppressWarnings("unchecked")
  static byte[] serialize(KafkaInfra infra, String topic, ProtocolEvent e) {
    Map<String, Object> c = infra.clientConfig();
    c.put("apicurio.registry.auto-register", "true");
    try (AvroKafkaSerializer<ProtocolEvent> ser = new AvroKafkaSerializer<>()) {
      ser.configure(c, false);
      return ser.serialize(topic, e);
    }
  }

  static void patch(byte[] b) {
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xC3 && b[i + 1] == (byte) 0xA9) {
        b[i + 1] = 0x28;
        return;
      }
    }
    throw new AssertionError("no \u00e9 in the record");
  }

  static String error(ConsumerRecord<byte[], byte[]> r) {
    return new String(r.headers().lastHeader("statewarden.error").value(), StandardCharsets.UTF_8);
  }
}
