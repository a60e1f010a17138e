package io.statewarden.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.topology.ContractOutput;
import io.statewarden.topology.TopologyFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * A number on the JSON input topic that a long or a double cannot hold is refused with the field
 * named, as {@code simulate} refuses it: the record goes to the dead-letter topic, and no session
 * sees a string or an infinity in its place.
 */
class JsonTopicNumbersTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void shouldDeadLetterNumbersOutOfRangeNamingTheField() {
    Engine engine = new Engine(builtins(), EngineConfig.DEFAULTS);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "numbers").maxRecordBytes(4096).build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "json-numbers-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new Ser(), new De(), true), props, T0)) {
      var json =
          driver.createInputTopic(
              Topics.DEFAULTS.eventsJson(), new StringSerializer(), new StringSerializer());
      var dlq =
          driver.createOutputTopic(
              Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      var audit =
          driver.createOutputTopic(
              Topics.DEFAULTS.audit(), new StringDeserializer(), new ByteArrayDeserializer());

      // when
      json.pipeInput("s1", contact("s1", "{\"n\": 123456789012345678901234567890}"));
      json.pipeInput("s2", contact("s2", "{\"x\": 1e400}"));
      json.pipeInput("s3", contact("s3", "{\"n\": 9223372036854775807, \"x\": 1.5e308}"));

      // then
      List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
      assertThat(dead)
          .extracting(r -> header(r, "statewarden.error"))
          .containsExactly(
              "payload.n is 123456789012345678901234567890, out of range: integers are longs"
                  + " (-9223372036854775808 to 9223372036854775807)",
              "payload.x is out of range: numbers are doubles, at most about 1.8e308 in"
                  + " magnitude");
      assertThat(audit.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("s3");
    }
  }

  static String contact(String session, String payload) {
    return "{\"eventId\":\"e-"
        + session
        + "\",\"sessionId\":\""
        + session
        + "\",\"protocol\":\"taleus-listener\",\"type\":\"InboundContact\",\"payload\":"
        + payload
        + ",\"timestamp\":"
        + T0.toEpochMilli()
        + "}";
  }

  static String header(TestRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  static ProtocolCatalog builtins() {
    try {
      return ProtocolCatalog.builtins();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Avro binary without a registry: every record written with its own schema. */
  static final class Ser implements Serializer<Object> {
    @Override
    public byte[] serialize(String topic, Object data) {
      // an engine output as the Avro record it stands for
      SpecificRecord r = (SpecificRecord) ContractOutput.avro(data);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Encoder enc = EncoderFactory.get().binaryEncoder(out, null);
      try {
        new SpecificDatumWriter<SpecificRecord>(r.getSchema()).write(r, enc);
        enc.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toByteArray();
    }
  }

  /** Reads the events topic (the only Avro input) back. */
  static final class De implements Deserializer<Object> {
    @Override
    public Object deserialize(String topic, byte[] data) {
      try {
        return new SpecificDatumReader<ProtocolEvent>(ProtocolEvent.getClassSchema())
            .read(null, DecoderFactory.get().binaryDecoder(data, null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
