package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.ProtocolEvent;
import java.net.ConnectException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
        new TopologyFactory.Settings(Topics.DEFAULTS, 1000, 1000, 4096, "test", Map.of());
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
