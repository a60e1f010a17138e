package io.statewarden.json;

import static io.statewarden.json.JsonTopicNumbersTest.T0;
import static io.statewarden.json.JsonTopicNumbersTest.builtins;
import static io.statewarden.json.JsonTopicNumbersTest.contact;
import static io.statewarden.json.JsonTopicNumbersTest.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.topology.TopologyFactory;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JSON on the JSON input topic means one thing: a string with an unpaired surrogate (which the Avro
 * events log would carry as {@code ?}, merging distinct ids), a key twice in one object (the last
 * one would silently win) and text after the object are dead-lettered with the reason, as {@code
 * simulate} refuses them.
 */
class JsonTopicStringsTest {
  TopologyTestDriver driver;
  TestInputTopic<String, String> json;
  TestOutputTopic<byte[], byte[]> dlq;
  TestOutputTopic<String, byte[]> audit;

  @BeforeEach
  void start() {
    Engine engine = new Engine(builtins(), EngineConfig.DEFAULTS);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "strings").maxRecordBytes(4096).build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "json-strings-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(
                engine,
                settings,
                new JsonTopicNumbersTest.Ser(),
                new JsonTopicNumbersTest.De(),
                true),
            props,
            T0);
    json =
        driver.createInputTopic(
            Topics.DEFAULTS.eventsJson(), new StringSerializer(), new StringSerializer());
    dlq =
        driver.createOutputTopic(
            Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    audit =
        driver.createOutputTopic(
            Topics.DEFAULTS.audit(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  List<String> deadLetterErrors() {
    return dlq.readRecordsToList().stream().map(r -> header(r, "statewarden.error")).toList();
  }

  @Test
  void shouldDeadLetterUnpairedSurrogatesInsteadOfMergingIds() {
    // when: two event ids that differ only in their lone surrogate
    json.pipeInput("s1", contact("s1", "{}").replace("\"e-s1\"", "\"e-\\ud800\""));
    json.pipeInput("s1", contact("s1", "{}").replace("\"e-s1\"", "\"e-\\udbff\""));
    json.pipeInput("s2", contact("s2", "{\"note\": \"ab\\udc00\"}"));
    json.pipeInput(
        "s3", contact("s3", "{}").replace("\"payload\"", "\"p\\ud800\": 1, \"payload\""));
    // and a pair, which is a character
    json.pipeInput("s4", contact("s4", "{\"note\": \"\\ud83d\\ude00\"}"));

    // then
    assertThat(deadLetterErrors())
        .containsExactly(
            "eventId has an unpaired surrogate at index 2: strings must be Unicode text",
            "eventId has an unpaired surrogate at index 2: strings must be Unicode text",
            "payload.note has an unpaired surrogate at index 2: strings must be Unicode text",
            "a key has an unpaired surrogate at index 1: strings must be Unicode text");
    assertThat(audit.readRecordsToList()).extracting(TestRecord::key).containsExactly("s4");
  }

  @Test
  void shouldDeadLetterAKeyGivenTwice() {
    // when
    json.pipeInput(
        "s1", contact("s1", "{}").replace("{\"eventId\"", "{\"eventId\":\"x\",\"eventId\""));
    json.pipeInput("s2", contact("s2", "{\"n\": 1, \"m\": 2, \"n\": 3}"));
    json.pipeInput("s3", contact("s3", "{}") + " {\"eventId\": \"e-other\"}");
    json.pipeInput("s4", contact("s4", "{\"n\": 1}"));

    // then
    List<String> errors = deadLetterErrors();
    assertThat(errors)
        .hasSize(3)
        .startsWith(
            "duplicate key 'eventId': a key may appear once in an object",
            "duplicate key 'n' in payload: a key may appear once in an object");
    assertThat(errors.get(2))
        .matches(
            "text after the JSON value, at column [0-9]+: one record \\(or scenario line\\) holds one value");
    assertThat(audit.readRecordsToList()).extracting(TestRecord::key).containsExactly("s4");
  }

  @Test
  void shouldDeadLetterAJsonTimestampLaterThanTheRecordsAndTakeAnEarlierOne() {
    long t0 = T0.toEpochMilli();
    // when: one event claims a time a minute after its record's, one a minute before
    json.pipeInput(
        "s1",
        contact("s1", "{}").replace("\"timestamp\":" + t0, "\"timestamp\":" + (t0 + 60_000)),
        T0);
    json.pipeInput(
        "s2",
        contact("s2", "{}").replace("\"timestamp\":" + t0, "\"timestamp\":" + (t0 - 60_000)),
        T0);

    // then the later one is refused (it would pass the broker's bound on future timestamps and
    // fire the session's deadlines early), the earlier one is the event's time
    assertThat(deadLetterErrors())
        .containsExactly(
            "timestamp "
                + java.time.Instant.ofEpochMilli(t0 + 60_000)
                + " is later than the record's timestamp "
                + java.time.Instant.ofEpochMilli(t0)
                + ": an event's time may be earlier than its record's, never later");
    List<TestRecord<String, byte[]>> audits = audit.readRecordsToList();
    assertThat(audits).extracting(TestRecord::key).containsExactly("s2");
    assertThat(audits.get(0).timestamp()).isEqualTo(t0 - 60_000);
  }
}
