package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.ProtocolEvent;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Input decoding through the real topology, with a deserializer that fails the way the registry
 * client does: a failure around the record (connection refused) is retried and never dead-lettered;
 * bad bytes are.
 */
class DecodeFailuresTest {
  final AtomicInteger failuresLeft = new AtomicInteger();
  final PlainAvro.De real = new PlainAvro.De();
  TopologyTestDriver driver;
  TestInputTopic<String, Object> avro;
  TestOutputTopic<String, Object> transitions;
  TestOutputTopic<byte[], byte[]> dlq;

  /** Refuses like an unreachable registry while {@link #failuresLeft} lasts. */
  final Deserializer<Object> flaky =
      new Deserializer<>() {
        @Override
        public Object deserialize(String topic, byte[] data) {
          return deserialize(topic, null, data);
        }

        @Override
        public Object deserialize(String topic, Headers headers, byte[] data) {
          if (failuresLeft.getAndDecrement() > 0) {
            throw new RuntimeException(
                new RuntimeException(new ConnectException("Connection refused")));
          }
          return real.deserialize(topic, headers, data);
        }
      };

  void start() throws Exception {
    Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "test").maxRecordBytes(4096).build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "decode-failures");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new PlainAvro.Ser(), flaky, true),
            props,
            TopologyTest.T0);
    avro =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new StringSerializer(), new PlainAvro.Ser());
    transitions =
        driver.createOutputTopic(
            Topics.DEFAULTS.transitions(), new StringDeserializer(), new PlainAvro.De());
    dlq =
        driver.createOutputTopic(
            Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) driver.close();
  }

  static ProtocolEvent open(String session) {
    return ProtocolEvent.newBuilder()
        .setEventId("e-" + session)
        .setSessionId(session)
        .setProtocol("taleus-listener")
        .setType("InboundContact")
        .setPayload(Map.of())
        .setSource("test")
        .build();
  }

  /** The Avro bytes of {@code e} with the first "\u00e9" (C3 A9) made malformed (C3 28). */
  static byte[] malformed(ProtocolEvent e) {
    byte[] b = new PlainAvro.Ser().serialize(Topics.DEFAULTS.events(), e);
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xC3 && b[i + 1] == (byte) 0xA9) {
        b[i + 1] = 0x28;
        return b;
      }
    }
    throw new AssertionError("no \u00e9 in the record");
  }

  @Test
  void shouldDeadLetterAStringThatIsNotUtf8InsteadOfReplacingItsBytes() throws Exception {
    // given
    start();
    var raw =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new StringSerializer(), new ByteArraySerializer());
    ProtocolEvent id = open("s1");
    id.setEventId("e-\u00e9");
    ProtocolEvent value = open("s2");
    value.setPayload(Map.of("note", "caf\u00e9"));

    // when
    raw.pipeInput("s1", malformed(id), TopologyTest.T);
    raw.pipeInput("s2", malformed(value), TopologyTest.T);
    avro.pipeInput("s3", valueWith(open("s3"), "caf\u00e9"), TopologyTest.T);

    // then
    assertThat(dlq.readRecordsToList())
        .extracting(
            r ->
                new String(
                    r.headers().lastHeader(DecodeProcessor.H_ERROR).value(),
                    StandardCharsets.UTF_8))
        .containsExactly(
            "a string is not UTF-8: malformed at byte 2 of 4; Avro strings are UTF-8 text",
            "a string is not UTF-8: malformed at byte 3 of 5; Avro strings are UTF-8 text");
    assertThat(transitions.readValuesToList()).hasSize(1);
  }

  static ProtocolEvent valueWith(ProtocolEvent e, String note) {
    e.setPayload(Map.of("note", note));
    return e;
  }

  @Test
  void shouldRetryARegistryFailureInPlaceAndNeverDeadLetterTheRecord() throws Exception {
    start();
    failuresLeft.set(2);

    avro.pipeInput("s1", open("s1"), TopologyTest.T);

    assertThat(dlq.isEmpty()).isTrue();
    assertThat(transitions.readValuesToList()).hasSize(1);
  }

  @Test
  void shouldPropagateARegistryFailureThatOutlastsTheRetriesAndLoseNothing() throws Exception {
    start();
    failuresLeft.set(Integer.MAX_VALUE);
    long began = System.nanoTime();

    assertThatThrownBy(() -> avro.pipeInput("s1", open("s1"), TopologyTest.T))
        .hasRootCauseInstanceOf(ConnectException.class);

    assertThat((System.nanoTime() - began) / 1_000_000)
        .isBetween(DecodeProcessor.RETRY_BUDGET_MS / 2, DecodeProcessor.RETRY_BUDGET_MS + 2_000);
    assertThat(dlq.isEmpty()).as("not bad input: never dead-lettered").isTrue();
    failuresLeft.set(0); // the registry is back; Kafka Streams reads the record again
    avro.pipeInput("s1", open("s1"), TopologyTest.T);
    assertThat(transitions.readValuesToList()).hasSize(1);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shouldDeadLetterBadBytesAtOnce() throws Exception {
    start();
    driver
        .createInputTopic(
            Topics.DEFAULTS.events(),
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())
        .pipeInput("s1".getBytes(), new byte[] {1, 2, 3}, TopologyTest.T);

    assertThat(dlq.readRecordsToList()).hasSize(1);
    assertThat(transitions.isEmpty()).isTrue();
  }
}
