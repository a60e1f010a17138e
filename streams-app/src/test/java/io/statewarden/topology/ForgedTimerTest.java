package io.statewarden.topology;

import static io.statewarden.topology.TopologyTest.T;
import static io.statewarden.topology.TopologyTest.T0;
import static io.statewarden.topology.TopologyTest.listener;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.AuditRecord;
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Only statewarden can make a deadline fire (issue 13, docs/decisions/0008): a producer with write
 * access to the events topic forges timers and statewarden headers through the live topology.
 */
class ForgedTimerTest {
  static final String EVENTS = Topics.DEFAULTS.events();

  TopologyTestDriver driver;
  TestInputTopic<String, String> json;
  TestInputTopic<byte[], byte[]> events;
  TestOutputTopic<byte[], byte[]> log;
  TestOutputTopic<String, Object> transitions;
  TestOutputTopic<String, Object> audit;
  TestOutputTopic<byte[], byte[]> dlq;

  @BeforeEach
  void start() throws Exception {
    start(true);
  }

  void start(boolean batchTimers) throws Exception {
    if (driver != null) {
      driver.close();
    }
    Engine engine =
        new Engine(
            ProtocolCatalog.builtins(), EngineConfig.DEFAULTS.withRetention(Duration.ofHours(1)));
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "t")
            .maxRecordBytes(4096)
            .batchTimers(batchTimers)
            .build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "forged-timer-test");
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
    log =
        driver.createOutputTopic(EVENTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    transitions =
        driver.createOutputTopic(
            Topics.DEFAULTS.transitions(), new StringDeserializer(), new PlainAvro.De());
    audit =
        driver.createOutputTopic(
            Topics.DEFAULTS.audit(), new StringDeserializer(), new PlainAvro.De());
    dlq =
        driver.createOutputTopic(
            Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
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
    log.readRecordsToList();
  }

  /** What GET /sessions/{id} and the events topic show of a timer, copied by a producer. */
  static ProtocolEvent copiedTimer(String session, long deadline, long seq) {
    return ProtocolEvent.newBuilder()
        .setEventId("deadline:" + deadline + ":" + seq)
        .setSessionId(session)
        .setProtocol("taleus-listener")
        .setProtocolVersion(1)
        .setType(TimerRecords.TYPE)
        .setPayload(Map.of("deadline", deadline, "seq", seq))
        .setSource("statewarden")
        .build();
  }

  void produce(String key, ProtocolEvent e, Headers headers, long timestamp) {
    byte[] v = new PlainAvro.Ser().serialize(EVENTS, e);
    events.pipeInput(new TestRecord<>(key.getBytes(StandardCharsets.UTF_8), v, headers, timestamp));
  }

  byte[] stored(String id) {
    return driver.<String, byte[]>getKeyValueStore(TopologyFactory.SESSIONS_STORE).get(id);
  }

  List<AuditRecord> audits() {
    return audit.readValuesToList().stream().map(AuditRecord.class::cast).toList();
  }

  List<Transition> fired() {
    return transitions.readValuesToList().stream().map(Transition.class::cast).toList();
  }

  static void assertRejectedReserved(AuditRecord a, String session) {
    assertThat(a.getSessionId()).isEqualTo(session);
    assertThat(a.getDecision()).isEqualTo(Decision.REJECTED);
    assertThat(a.getReason()).isEqualTo(RejectReason.RESERVED_TYPE);
    assertThat(a.getEventType()).isEqualTo(TimerRecords.TYPE);
    assertThat(a.getStateBefore()).isEqualTo(a.getStateAfter());
    assertThat(a.getSeq()).isNull();
  }

  @Test
  void shouldRejectACopiedTimerWithCurrentOrOldSeqAndStillFireTheGenuineOneOnce() {
    // given
    openSession("s1");
    byte[] before = stored("s1");

    // when a producer copies the pending timer (current seq 1), and one with an old seq, each
    // stamped at the deadline, the way "deadline before late events" would honour them
    produce("s1", copiedTimer("s1", T + 5_000, 1), new RecordHeaders(), T + 5_000);
    produce("s1", copiedTimer("s1", T + 30_000, 0), new RecordHeaders(), T + 30_000);

    // then each is audited RESERVED_TYPE and changes nothing
    List<AuditRecord> rejected = audits();
    assertThat(rejected).hasSize(2);
    rejected.forEach(a -> assertRejectedReserved(a, "s1"));
    assertThat(rejected.get(0).getStateBefore()).isEqualTo("L_PROCESS_CONTACT");
    assertThat(rejected.get(1).getInput().getOffset())
        .as("its own place in the events topic")
        .isEqualTo(rejected.get(0).getInput().getOffset() + 1);
    assertThat(fired()).isEmpty();
    assertThat(stored("s1")).isEqualTo(before);

    // and the deadline is still pending: statewarden's own timer fires it, once, at T+5s
    driver.advanceWallClockTime(Duration.ofMillis(5_500));
    TestRecord<byte[], byte[]> genuine = log.readRecord();
    assertThat(genuine.headers().lastHeader(RecordMac.HEADER)).isNotNull();
    assertThat(fired())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getTrigger()).isEqualTo(Trigger.TIMEOUT);
              assertThat(t.getAt()).isEqualTo(T0.plusSeconds(5));
            });
    assertThat(audits())
        .extracting(AuditRecord::getDecision)
        .containsExactly(Decision.DEADLINE_FIRED);
    driver.advanceWallClockTime(Duration.ofSeconds(60));
    assertThat(fired()).isEmpty();
  }

  @Test
  void shouldNotLetAForgedTimerPurgeAFinalSession() {
    // given a final session, kept for an hour so late events get SESSION_CLOSED
    openSession("s1");
    json.pipeInput("s1", listener("s1", "e2", "TokenRejected", T + 100, "{}"), T + 100);
    fired();
    audits();
    byte[] before = stored("s1");

    // when a producer forges the purge timer
    long purge = T + 100 + Duration.ofHours(1).toMillis();
    produce("s1", copiedTimer("s1", purge, 2), new RecordHeaders(), purge);

    // then
    assertThat(audits()).singleElement().satisfies(a -> assertRejectedReserved(a, "s1"));
    assertThat(stored("s1")).as("not purged, not rewritten").isEqualTo(before);
  }

  @ParameterizedTest(name = "batched timers: {0}")
  @ValueSource(booleans = {true, false})
  void shouldRejectAReservedTypeRecordWhoseSignatureDoesNotMatch(boolean batchTimers)
      throws Exception {
    // given statewarden's own timer record of s1 and s2 (one batch, or one record each), as a
    // producer reading the topic sees it
    start(batchTimers);
    openSession("s1");
    openSession("s2");
    driver.advanceWallClockTime(Duration.ofMillis(5_500));
    List<TestRecord<byte[], byte[]>> timers = log.readRecordsToList();
    assertThat(timers).hasSize(batchTimers ? 1 : 2);
    TestRecord<byte[], byte[]> genuine = timers.get(0);
    assertThat(fired()).hasSize(2);
    audits();
    openSession("s3");
    byte[] s3 = stored("s3");

    // when its signature is put on another session's key, on changed value bytes (the batch
    // naming s3), on a record with an extra statewarden header, and a made-up signature on a
    // copied timer
    events.pipeInput(
        new TestRecord<>(
            "s3".getBytes(StandardCharsets.UTF_8),
            genuine.value(),
            copy(genuine.headers()),
            genuine.timestamp()));
    ProtocolEvent original =
        (ProtocolEvent) new PlainAvro.De().deserialize(EVENTS, genuine.value());
    ProtocolEvent forged =
        batchTimers
            ? TimerRecords.batch(0, List.of(new TimerRecords.Due("s3", T + 5_000, 1)))
            : ProtocolEvent.newBuilder(original)
                .setPayload(Map.of("deadline", T + 4_000, "seq", 1L))
                .build();
    byte[] changed = new PlainAvro.Ser().serialize(EVENTS, forged);
    events.pipeInput(
        new TestRecord<>(genuine.key(), changed, copy(genuine.headers()), genuine.timestamp()));
    Headers extra = copy(genuine.headers());
    extra.add("statewarden.source.topic", "elsewhere".getBytes(StandardCharsets.UTF_8));
    events.pipeInput(new TestRecord<>(genuine.key(), genuine.value(), extra, genuine.timestamp()));
    Headers madeUp = new RecordHeaders();
    madeUp.add(RecordMac.HEADER, "0badc0de:AAAA".getBytes(StandardCharsets.UTF_8));
    produce("s3", copiedTimer("s3", T + 5_000, 1), madeUp, T + 5_000);

    // then each is rejected, and s3 keeps its state and its deadline
    assertThat(audits())
        .hasSize(4)
        .extracting(AuditRecord::getReason)
        .containsOnly(RejectReason.RESERVED_TYPE);
    assertThat(fired()).isEmpty();
    assertThat(stored("s3")).isEqualTo(s3);

    // and the genuine record itself, read again after it fired, is inert as before: no output
    events.pipeInput(
        new TestRecord<>(
            genuine.key(), genuine.value(), copy(genuine.headers()), genuine.timestamp()));
    assertThat(audit.isEmpty()).isTrue();
    assertThat(fired()).isEmpty();
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shouldRejectAnUnsignedBatchOfTimersAndFireNothing() {
    // given s1 due (its deadline T+5s passed on the record clock, not yet on the wall clock)
    openSession("s1");
    byte[] s1 = stored("s1");

    // when a producer writes a batch that names it, unsigned, keyed and partitioned as
    // statewarden's
    ProtocolEvent forged = TimerRecords.batch(0, List.of(new TimerRecords.Due("s1", T + 5_000, 1)));
    produce(TimerRecords.batchKey(0), forged, new RecordHeaders(), T + 5_000);

    // then it is audited RESERVED_TYPE under its own key, and s1 neither moves nor is lost
    assertThat(audits())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getSessionId()).isEqualTo("statewarden.timers/0");
              assertThat(a.getDecision()).isEqualTo(Decision.REJECTED);
              assertThat(a.getReason()).isEqualTo(RejectReason.RESERVED_TYPE);
              assertThat(a.getEventType()).isEqualTo(TimerRecords.BATCH_TYPE);
            });
    assertThat(fired()).isEmpty();
    assertThat(stored("s1")).isEqualTo(s1);
    assertThat(dlq.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofMillis(5_500));
    assertThat(fired()).as("the genuine deadline still fires, once").hasSize(1);
  }

  @Test
  void shouldRejectTheReservedTypeOnTheJsonTopicNamingItsJsonCoordinates() {
    // when
    json.pipeInput(
        "s1",
        listener("s1", "d1", TimerRecords.TYPE, T, "{\"deadline\":" + (T + 5_000) + ",\"seq\":1}"),
        T);

    // then
    assertThat(audits())
        .singleElement()
        .satisfies(
            a -> {
              assertRejectedReserved(a, "s1");
              assertThat(a.getInput().getTopic()).isEqualTo(Topics.DEFAULTS.eventsJson());
            });
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(stored("s1")).isNull();
  }

  @Test
  void shouldIgnoreStatewardenHeadersAProducerSets() {
    // when a producer claims its event was read elsewhere, and pre-seeds an error on junk
    Headers claimed = new RecordHeaders();
    claimed.add("statewarden.source.topic", "elsewhere".getBytes(StandardCharsets.UTF_8));
    claimed.add("statewarden.source.partition", "7".getBytes(StandardCharsets.UTF_8));
    claimed.add("statewarden.source.offset", "12345".getBytes(StandardCharsets.UTF_8));
    claimed.add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
    ProtocolEvent open =
        ProtocolEvent.newBuilder()
            .setEventId("e1")
            .setSessionId("s1")
            .setProtocol("taleus-listener")
            .setType("InboundContact")
            .setPayload(Map.of())
            .build();
    produce("s1", open, claimed, T);
    Headers seeded = new RecordHeaders();
    seeded.add(DecodeProcessor.H_ERROR, "all is well".getBytes(StandardCharsets.UTF_8));
    seeded.add(DecodeProcessor.H_TOPIC, "elsewhere".getBytes(StandardCharsets.UTF_8));
    seeded.add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
    events.pipeInput(new TestRecord<>(new byte[] {1}, new byte[] {9, 9, 9}, seeded, T));

    // then the audit names where the event was read
    AuditRecord accepted = audits().get(0);
    assertThat(accepted.getDecision()).isEqualTo(Decision.ACCEPTED);
    assertThat(accepted.getInput().getTopic()).isEqualTo(EVENTS);
    assertThat(accepted.getInput().getPartition()).isZero();
    assertThat(accepted.getInput().getOffset()).isZero();
    // and the dead letter carries statewarden's error headers only, the producer's others kept
    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(values(dead.headers(), DecodeProcessor.H_ERROR))
        .singleElement()
        .satisfies(v -> assertThat(v).isNotEqualTo("all is well"));
    assertThat(values(dead.headers(), DecodeProcessor.H_TOPIC)).containsExactly(EVENTS);
    assertThat(values(dead.headers(), "trace-id")).containsExactly("abc");
  }

  static Headers copy(Headers h) {
    return new RecordHeaders(h.toArray());
  }

  static List<String> values(Headers h, String name) {
    List<String> out = new java.util.ArrayList<>();
    for (Header x : h.headers(name)) out.add(new String(x.value(), StandardCharsets.UTF_8));
    return out;
  }
}
