package io.statewarden.topology;

import static io.statewarden.topology.TopologyTest.T;
import static io.statewarden.topology.TopologyTest.T0;
import static io.statewarden.topology.TopologyTest.listener;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Command;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
 * Operator commands through the live topology (docs/decisions/0016): only a command record signed
 * with statewarden's key acts; the log order decides a command racing an event; a command read
 * twice applies once.
 */
class OperatorCommandTest {
  static final String EVENTS = Topics.DEFAULTS.events();

  final RecordMac mac = RecordMac.of(RecordMac.randomKey(), List.of());
  TopologyTestDriver driver;
  TestInputTopic<String, String> json;
  TestInputTopic<byte[], byte[]> events;
  TestOutputTopic<String, Object> transitions;
  TestOutputTopic<String, Object> backouts;
  TestOutputTopic<String, Object> audit;

  @BeforeEach
  void start() throws Exception {
    Engine engine =
        new Engine(
            ProtocolCatalog.builtins(), EngineConfig.DEFAULTS.withRetention(Duration.ofHours(1)));
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "t")
            .maxRecordBytes(4096)
            .mac(mac)
            .build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "operator-command-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new PlainAvro.Ser(), new PlainAvro.De(), true),
            props,
            T0);
    json =
        driver.createInputTopic(
            Topics.DEFAULTS.eventsJson(), new StringSerializer(), new StringSerializer());
    events = driver.createInputTopic(EVENTS, new ByteArraySerializer(), new ByteArraySerializer());
    transitions =
        driver.createOutputTopic(
            Topics.DEFAULTS.transitions(), new StringDeserializer(), new PlainAvro.De());
    backouts =
        driver.createOutputTopic(
            Topics.DEFAULTS.backouts(), new StringDeserializer(), new PlainAvro.De());
    audit =
        driver.createOutputTopic(
            Topics.DEFAULTS.audit(), new StringDeserializer(), new PlainAvro.De());
  }

  @AfterEach
  void close() {
    driver.close();
  }

  /** s1 in L_PROCESS_CONTACT, its state deadline T+5s pending; the outputs so far read. */
  void openSession(String id) {
    json.pipeInput(id, listener(id, "e1", "InboundContact", T, "{}"), T);
    transitions.readValuesToList();
    audit.readValuesToList();
  }

  static Command cancel(String id, String expectedState) {
    return new Command(
        Command.Kind.CANCEL,
        id,
        "s1",
        "alice",
        "stuck",
        expectedState,
        null,
        Map.of(),
        false,
        0,
        null);
  }

  /** The record statewarden's API writes; {@code signed} false: a producer's copy of it. */
  void command(Command c, long timestamp, boolean signed) {
    ProtocolEvent e = CommandRecords.of(c);
    byte[] key = c.sessionId().getBytes(StandardCharsets.UTF_8);
    byte[] value = new PlainAvro.Ser().serialize(EVENTS, e);
    RecordHeaders headers = new RecordHeaders();
    if (signed) {
      mac.sign(key, value, headers);
    }
    events.pipeInput(new TestRecord<>(key, value, headers, timestamp));
  }

  void event(String eventId, String type, long timestamp) {
    json.pipeInput(
        "s1", listener("s1", eventId, type, timestamp, "{\"role\": \"foil\"}"), timestamp);
  }

  byte[] stored(String id) {
    return driver.<String, byte[]>getKeyValueStore(TopologyFactory.SESSIONS_STORE).get(id);
  }

  List<AuditRecord> audits() {
    return audit.readValuesToList().stream().map(AuditRecord.class::cast).toList();
  }

  List<Transition> moved() {
    return transitions.readValuesToList().stream().map(Transition.class::cast).toList();
  }

  @Test
  void shouldRejectAnUnsignedCommandRecordAsReservedAndChangeNothing() {
    // given
    openSession("s1");
    byte[] before = stored("s1");

    // when a producer writes a command record it did not get signed
    command(cancel("c1", null), T + 100, false);

    // then
    assertThat(audits())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getReason()).isEqualTo(RejectReason.RESERVED_TYPE);
              assertThat(a.getEventType()).isEqualTo(Command.TYPE);
            });
    assertThat(moved()).isEmpty();
    assertThat(stored("s1")).isEqualTo(before);
  }

  @Test
  void shouldCancelOnceWhenTheSignedCommandIsReadTwiceAndNeverFireItsDeadline() {
    // given
    openSession("s1");

    // when the same signed command is read twice (a retried write)
    command(cancel("c1", null), T + 100, true);
    command(cancel("c1", null), T + 200, true);

    // then one cancel: OPERATOR transition into L_TIMEOUT, one backout, then a duplicate
    assertThat(moved())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getTrigger()).isEqualTo(Trigger.OPERATOR);
              assertThat(t.getTo()).isEqualTo("L_TIMEOUT");
              assertThat(t.getEventId()).isEqualTo("c1");
            });
    assertThat(backouts.readValuesToList())
        .singleElement()
        .satisfies(b -> assertThat(((Backout) b).getReason()).isEqualTo(BackoutReason.OPERATOR));
    List<AuditRecord> audits = audits();
    assertThat(audits)
        .extracting(AuditRecord::getDecision)
        .containsExactly(Decision.ACCEPTED, Decision.DUPLICATE);
    assertThat(audits.get(0).getDetail()).isEqualTo("cancel by alice: stuck");
    // and the state deadline (T+5s) is gone
    driver.advanceWallClockTime(Duration.ofSeconds(10));
    assertThat(moved()).isEmpty();
  }

  @Test
  void shouldCancelBeforeAnEventThatFollowsItInTheLog() {
    // given
    openSession("s1");

    // when the cancel is read first
    command(cancel("c1", "L_PROCESS_CONTACT"), T + 100, true);
    event("e2", "HooksComplete", T + 100);

    // then the session is cancelled and the event finds it closed
    assertThat(moved()).extracting(Transition::getTo).containsExactly("L_TIMEOUT");
    assertThat(audits())
        .extracting(AuditRecord::getDecision, AuditRecord::getReason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Decision.ACCEPTED, null),
            org.assertj.core.groups.Tuple.tuple(Decision.REJECTED, RejectReason.SESSION_CLOSED));
  }

  @Test
  void shouldApplyAnEventBeforeACommandThatFollowsItInTheLog() {
    // given
    openSession("s1");

    // when the event is read first, then a cancel that expected the old state, then one that
    // did not say
    event("e2", "HooksComplete", T + 100);
    command(cancel("c1", "L_PROCESS_CONTACT"), T + 100, true);
    command(cancel("c2", null), T + 100, true);

    // then the first cancel is stale and the second cancels from where the event left it
    assertThat(moved())
        .extracting(Transition::getFrom, Transition::getTo, Transition::getTrigger)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "L_PROCESS_CONTACT", "L_SEND_RESPONSE", Trigger.EVENT),
            org.assertj.core.groups.Tuple.tuple("L_SEND_RESPONSE", "L_TIMEOUT", Trigger.OPERATOR));
    assertThat(audits())
        .extracting(AuditRecord::getDecision, AuditRecord::getReason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Decision.ACCEPTED, null),
            org.assertj.core.groups.Tuple.tuple(Decision.REJECTED, RejectReason.STALE_STATE),
            org.assertj.core.groups.Tuple.tuple(Decision.ACCEPTED, null));
  }
}
