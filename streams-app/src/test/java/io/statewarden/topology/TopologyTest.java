package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TopologyTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final long T = T0.toEpochMilli();

  TopologyTestDriver driver;
  boolean auditAccepted = true;
  @org.junit.jupiter.api.io.TempDir java.nio.file.Path stateDir;
  TestInputTopic<String, String> json;
  TestInputTopic<byte[], byte[]> rawJson;
  TestInputTopic<byte[], byte[]> rawAvro;
  TestInputTopic<String, Object> avro;
  TestOutputTopic<String, Object> transitions;
  TestOutputTopic<String, Object> backouts;
  TestOutputTopic<String, Object> audit;
  TestOutputTopic<byte[], byte[]> dlq;

  /** The replay topology's key: the timers this test logs are signed with it, as live ones are. */
  static final RecordMac MAC = RecordMac.of(RecordMac.randomKey(), List.of());

  void start(int maxFires, EngineConfig config) throws Exception {
    start(maxFires, config, 4096, true);
  }

  void start(int maxFires, EngineConfig config, int maxRecordBytes, boolean batchTimers)
      throws Exception {
    Engine engine = new Engine(ProtocolCatalog.builtins(), config);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "test-instance")
            .punctuation(1000, maxFires)
            .maxRecordBytes(maxRecordBytes)
            .mac(MAC)
            .batchTimers(batchTimers)
            .auditAccepted(auditAccepted)
            .build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
    if (stateDir == null) { // used by another test class, which JUnit does not inject into
      stateDir = java.nio.file.Files.createTempDirectory("topology-test");
    }
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new PlainAvro.Ser(), new PlainAvro.De(), true),
            props,
            T0);
    json =
        driver.createInputTopic(
            Topics.DEFAULTS.eventsJson(), new StringSerializer(), new StringSerializer());
    rawJson =
        driver.createInputTopic(
            Topics.DEFAULTS.eventsJson(), new ByteArraySerializer(), new ByteArraySerializer());
    rawAvro =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new ByteArraySerializer(), new ByteArraySerializer());
    avro =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new StringSerializer(), new PlainAvro.Ser());
    transitions =
        driver.createOutputTopic(
            Topics.DEFAULTS.transitions(), new StringDeserializer(), new PlainAvro.De());
    backouts =
        driver.createOutputTopic(
            Topics.DEFAULTS.backouts(), new StringDeserializer(), new PlainAvro.De());
    audit =
        driver.createOutputTopic(
            Topics.DEFAULTS.audit(), new StringDeserializer(), new PlainAvro.De());
    dlq =
        driver.createOutputTopic(
            Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  void start() throws Exception {
    start(1000, EngineConfig.DEFAULTS);
  }

  void startReplay() throws Exception {
    Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "replay")
            .maxRecordBytes(4096)
            .mac(MAC)
            .build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-replay");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new PlainAvro.Ser(), new PlainAvro.De(), false),
            props,
            T0);
    avro =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new StringSerializer(), new PlainAvro.Ser());
    rawAvro =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new ByteArraySerializer(), new ByteArraySerializer());
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

  /** Pipes {@code e} onto the events topic signed with {@code mac}, as statewarden writes it. */
  void pipeSigned(RecordMac mac, String key, ProtocolEvent e, long timestamp) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    byte[] v = new PlainAvro.Ser().serialize(Topics.DEFAULTS.events(), headers, e);
    mac.sign(k, v, headers);
    rawAvro.pipeInput(new TestRecord<>(k, v, headers, timestamp));
  }

  @AfterEach
  void close() {
    if (driver != null) driver.close();
  }

  static String listener(String session, String id, String type, long at, String payload) {
    return "{\"eventId\":\""
        + id
        + "\",\"sessionId\":\""
        + session
        + "\",\"protocol\":\"taleus-listener\",\"type\":\""
        + type
        + "\",\"payload\":"
        + payload
        + ",\"timestamp\":"
        + at
        + "}";
  }

  void send(String session, String id, String type, long at) {
    json.pipeInput(session, listener(session, id, type, at, "{}"), at);
  }

  List<Transition> transitions() {
    return transitions.readValuesToList().stream().map(Transition.class::cast).toList();
  }

  List<AuditRecord> audits() {
    return audit.readValuesToList().stream().map(AuditRecord.class::cast).toList();
  }

  KeyValueStore<String, byte[]> sessions() {
    return driver.getKeyValueStore(TopologyFactory.SESSIONS_STORE);
  }

  @Test
  void shouldPublishTransitionAndAuditAndKeepSession() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);

    Transition t = transitions().get(0);
    assertThat(t.getSeq()).isEqualTo(1);
    assertThat(t.getTo()).isEqualTo("L_PROCESS_CONTACT");
    assertThat(t.getAt()).isEqualTo(T0);
    AuditRecord a = audits().get(0);
    assertThat(a.getDecision()).isEqualTo(Decision.ACCEPTED);
    assertThat(a.getInput().getTopic()).isEqualTo("statewarden.events.json");
    assertThat(a.getInstance()).isEqualTo("test-instance");
    Session s = SessionCodec.decode(sessions().get("s1"));
    assertThat(s.state()).isEqualTo("L_PROCESS_CONTACT");
    assertThat(s.stateDeadline()).isEqualTo(T + 5_000);
  }

  @Test
  void shouldLeaveOutOnlyTheAuditsTransitionsRepeatWhenAskedTo() throws Exception {
    auditAccepted = false; // statewarden.audit.accepted=false
    start();
    send("s1", "e1", "InboundContact", T); // accepted: its transition is its record
    send("s1", "e1", "InboundContact", T + 1); // DUPLICATE
    send("s1", "e2", "DatabaseResult", T + 2); // not an event of this state: REJECTED
    driver.advanceWallClockTime(Duration.ofMinutes(10)); // its state's deadline fires

    List<Transition> moves = transitions();
    assertThat(moves).extracting(Transition::getSeq).containsExactly(1L, 2L);
    assertThat(moves.get(1).getTrigger()).isEqualTo(Trigger.TIMEOUT);
    assertThat(audits())
        .extracting(AuditRecord::getDecision)
        .containsExactly(Decision.DUPLICATE, Decision.REJECTED, Decision.DEADLINE_FIRED);
  }

  @Test
  void shouldAcceptAvroEventsOnTheAvroTopic() throws Exception {
    start();
    ProtocolEvent e =
        ProtocolEvent.newBuilder()
            .setEventId("e1")
            .setSessionId("s1")
            .setProtocol("taleus-listener")
            .setType("InboundContact")
            .setPayload(Map.of("n", 1L))
            .build();
    avro.pipeInput("s1", e, T);

    assertThat(transitions())
        .singleElement()
        .satisfies(t -> assertThat(t.getTo()).isEqualTo("L_PROCESS_CONTACT"));
    assertThat(audits().get(0).getInput().getTopic()).isEqualTo("statewarden.events");
  }

  @Test
  void shouldFireDeadlineOnWallClockWithNoFurtherInput() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    transitions();
    audits();

    driver.advanceWallClockTime(Duration.ofMillis(4_000));
    assertThat(transitions.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofMillis(1_500));

    Transition t = transitions().get(0);
    assertThat(t.getTrigger()).isEqualTo(Trigger.TIMEOUT);
    assertThat(t.getAt()).as("deadline in record time, not the clock").isEqualTo(T0.plusSeconds(5));
    Backout b = (Backout) backouts.readValue();
    assertThat(b.getStalledState()).isEqualTo("L_PROCESS_CONTACT");
    assertThat(audits())
        .singleElement()
        .satisfies(a -> assertThat(a.getDecision()).isEqualTo(Decision.DEADLINE_FIRED));
  }

  @Test
  void shouldFireDeadlineBeforeLateEventEvenWhenClockLags() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    send("s1", "e2", "HooksComplete", T + 6_000); // wall clock has not moved

    List<Transition> ts = transitions();
    assertThat(ts).extracting(Transition::getTo).containsExactly("L_PROCESS_CONTACT", "L_TIMEOUT");
    assertThat(audits())
        .extracting(AuditRecord::getReason)
        .containsExactly(null, null, RejectReason.SESSION_CLOSED);
    driver.advanceWallClockTime(Duration.ofSeconds(60));
    assertThat(transitions.isEmpty()).as("the fired deadline does not fire again").isTrue();
  }

  @Test
  void shouldLogDueDeadlineAsTimerRecordAndFireItWhenReadBack() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    TestOutputTopic<String, Object> log =
        driver.createOutputTopic(
            Topics.DEFAULTS.events(), new StringDeserializer(), new PlainAvro.De());
    log.readRecordsToList(); // the normalized JSON event

    driver.advanceWallClockTime(Duration.ofMillis(5_500));

    TestRecord<String, Object> timer = log.readRecord();
    ProtocolEvent e = (ProtocolEvent) timer.value();
    assertThat(e.getType()).isEqualTo(TimerRecords.BATCH_TYPE);
    assertThat(timer.key()).isEqualTo("statewarden.timers/0");
    assertThat(timer.timestamp()).isEqualTo(T + 5_000);
    assertThat(e.getPayload())
        .containsOnly(
            Map.entry("count", 1L),
            Map.entry("session.0", "s1"),
            Map.entry("deadline.0", T + 5_000),
            Map.entry("seq.0", 1L));
    assertThat(transitions())
        .last()
        .satisfies(t -> assertThat(t.getTrigger()).isEqualTo(Trigger.TIMEOUT));
    assertThat(log.isEmpty()).as("one timer record per punctuation").isTrue();
  }

  /** What the deadlines of many sessions, all due in one punctuation, produce. */
  record Storm(
      List<TestRecord<byte[], byte[]>> timerRecords,
      List<TestRecord<String, Object>> transitions,
      List<TestRecord<String, Object>> audits,
      List<TestRecord<String, Object>> backouts) {}

  /**
   * 300 sessions opened in a scrambled order, their deadlines 1 ms apart in another order, all due
   * when the wall clock moves once.
   */
  Storm storm(boolean batchTimers, int maxRecordBytes) throws Exception {
    start(1000, EngineConfig.DEFAULTS, maxRecordBytes, batchTimers);
    TestOutputTopic<byte[], byte[]> log =
        driver.createOutputTopic(
            Topics.DEFAULTS.events(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    for (int i = 0; i < 300; i++) {
      String id = "storm-session-" + (i * 7 % 300);
      send(id, "e1", "InboundContact", T + (i * 113 % 300));
    }
    log.readRecordsToList(); // the normalized JSON events
    transitions.readRecordsToList();
    audit.readRecordsToList();
    driver.advanceWallClockTime(Duration.ofMillis(5_500));
    Storm out =
        new Storm(
            log.readRecordsToList(),
            transitions.readRecordsToList(),
            audit.readRecordsToList(),
            backouts.readRecordsToList());
    driver.close();
    driver = null;
    return out;
  }

  @Test
  void shouldLogManyDueSessionsAsOneRecordAndFireThemInDueOrderAsSingleTimersWould()
      throws Exception {
    Storm single = storm(false, 1 << 20);
    Storm batched = storm(true, 1 << 20);

    assertThat(single.timerRecords()).as("one record per deadline").hasSize(300);
    assertThat(batched.timerRecords()).as("one record per punctuation").hasSize(1);
    TestRecord<byte[], byte[]> record = batched.timerRecords().get(0);
    assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("statewarden.timers/0");
    ProtocolEvent batch =
        (ProtocolEvent) new PlainAvro.De().deserialize(Topics.DEFAULTS.events(), record.value());
    assertThat(batch.getType()).isEqualTo(TimerRecords.BATCH_TYPE);
    assertThat(record.timestamp()).as("stamped with its last deadline").isEqualTo(T + 5_299);
    // the sessions in due order: the deadlines 1 ms apart, the sessions in the order they opened
    List<Object> deadlines = new java.util.ArrayList<>();
    List<String> inOrder = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      deadlines.add(batch.getPayload().get("deadline." + i));
      inOrder.add(String.valueOf(batch.getPayload().get("session." + i)));
    }
    assertThat(deadlines)
        .isEqualTo(java.util.stream.LongStream.range(0, 300).mapToObj(i -> T + 5_000 + i).toList());
    List<String> opened = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) opened.add("storm-session-" + (i * 7 % 300));
    List<String> byDeadline = new java.util.ArrayList<>(opened);
    byDeadline.sort(java.util.Comparator.comparing(id -> (opened.indexOf(id) * 113) % 300));
    assertThat(inOrder).isEqualTo(byDeadline);

    // fired in that order, each with exactly the outputs of its single timer record
    assertThat(batched.transitions()).hasSize(300).isEqualTo(single.transitions());
    assertThat(batched.transitions())
        .extracting(TestRecord::key)
        .as("fired in due order")
        .isEqualTo(byDeadline);
    assertThat(batched.audits()).hasSize(300).isEqualTo(single.audits());
    assertThat(batched.backouts()).hasSize(300).isEqualTo(single.backouts());
  }

  @Test
  void shouldSplitABatchThatWouldPassTheRecordLimitAndStillFireEveryDeadlineInOrder()
      throws Exception {
    Storm single = storm(false, 1 << 20);
    Storm batched = storm(true, 4096);

    assertThat(batched.timerRecords())
        .as("each batch within statewarden.max.record.bytes")
        .hasSizeBetween(2, 20)
        .allSatisfy(r -> assertThat(r.value().length).isLessThanOrEqualTo(4096));
    assertThat(batched.transitions()).hasSize(300).isEqualTo(single.transitions());
    assertThat(batched.audits()).isEqualTo(single.audits());
    assertThat(batched.backouts()).isEqualTo(single.backouts());
  }

  @Test
  void shouldStillFireASingleTimerRecordOfAnEarlierVersion() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    transitions();
    audits();
    ProtocolEvent old =
        ProtocolEvent.newBuilder()
            .setEventId("deadline:" + (T + 5_000) + ":1")
            .setSessionId("s1")
            .setProtocol("taleus-listener")
            .setProtocolVersion(1)
            .setType(TimerRecords.TYPE)
            .setPayload(Map.of("deadline", T + 5_000, "seq", 1L))
            .setSource("statewarden")
            .build();

    pipeSigned(MAC, "s1", old, T + 5_000); // the wall clock has not moved: only the record fires

    assertThat(transitions())
        .singleElement()
        .satisfies(t -> assertThat(t.getTrigger()).isEqualTo(Trigger.TIMEOUT));
    assertThat(audits())
        .singleElement()
        .satisfies(a -> assertThat(a.getDecision()).isEqualTo(Decision.DEADLINE_FIRED));
  }

  @Test
  void shouldFireOnlyTimersTheLogHoldsWhenReplaying() throws Exception {
    startReplay();
    ProtocolEvent open =
        ProtocolEvent.newBuilder()
            .setEventId("e1")
            .setSessionId("s1")
            .setProtocol("taleus-listener")
            .setType("InboundContact")
            .setPayload(Map.of())
            .build();
    avro.pipeInput("s1", open, T);
    avro.pipeInput("s2", ProtocolEvent.newBuilder(open).setSessionId("s2").build(), T);
    transitions();
    audits();

    driver.advanceWallClockTime(Duration.ofSeconds(60));
    assertThat(transitions.isEmpty()).as("no wall-clock firing in a replay").isTrue();

    ProtocolEvent timer =
        ProtocolEvent.newBuilder(open)
            .setEventId("deadline:x:1")
            .setType(TimerRecords.TYPE)
            .setPayload(Map.of("deadline", T + 5_000, "seq", 1L))
            .build();
    pipeSigned(MAC, "s1", timer, T + 5_000);

    assertThat(transitions())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getSessionId()).isEqualTo("s1");
              assertThat(t.getTrigger()).isEqualTo(Trigger.TIMEOUT);
            });
    ProtocolEvent early =
        ProtocolEvent.newBuilder(timer)
            .setPayload(Map.of("deadline", T + 4_000, "seq", 1L))
            .build();
    pipeSigned(MAC, "s2", early, T + 4_000);
    assertThat(transitions.isEmpty()).as("a timer before the session is due is inert").isTrue();
    assertThat(audits())
        .extracting(AuditRecord::getDecision)
        .containsExactly(Decision.DEADLINE_FIRED);
  }

  @Test
  void shouldTakeTheJsonTimestampFieldAsTheEventTimeOverTheRecordTimestamp() throws Exception {
    start();
    // the record is stamped 3 s after the event time the JSON carries
    json.pipeInput("s1", listener("s1", "e1", "InboundContact", T, "{}"), T + 3_000);

    Transition created = transitions().get(0);
    assertThat(created.getAt()).isEqualTo(T0);
    // the 5 s state deadline counts from the JSON's time: due at T+5s, not T+8s
    driver.advanceWallClockTime(Duration.ofMillis(5_500));
    assertThat(transitions())
        .singleElement()
        .satisfies(t -> assertThat(t.getAt()).isEqualTo(T0.plusSeconds(5)));
  }

  @Test
  void shouldDropStaleIndexEntriesAndFireEachDeadlineOnce() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    json.pipeInput(
        "s1", listener("s1", "e2", "HooksComplete", T + 1_000, "{\"role\":\"foil\"}"), T + 1_000);
    transitions();
    audits();

    driver.advanceWallClockTime(
        Duration.ofMillis(5_500)); // old 5s entry is stale: the session moved at T+1s
    assertThat(transitions.isEmpty()).isTrue();
    driver.advanceWallClockTime(
        Duration.ofMillis(1_000)); // T+6.5s: L_SEND_RESPONSE's deadline (T+6s)

    assertThat(transitions())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.getFrom()).isEqualTo("L_SEND_RESPONSE");
              assertThat(t.getAt()).isEqualTo(T0.plusSeconds(6));
            });
    driver.advanceWallClockTime(Duration.ofSeconds(60));
    assertThat(transitions.isEmpty()).isTrue();
  }

  @Test
  void shouldFireBoundedBatchPerPunctuationAndLoseNone() throws Exception {
    start(100, EngineConfig.DEFAULTS);
    for (int i = 0; i < 250; i++) {
      send("s" + i, "e" + i, "InboundContact", T);
    }
    transitions();

    driver.advanceWallClockTime(Duration.ofMillis(5_000));
    assertThat(transitions.getQueueSize()).isEqualTo(100);
    driver.advanceWallClockTime(Duration.ofMillis(1_000));
    assertThat(transitions.getQueueSize()).isEqualTo(200);
    driver.advanceWallClockTime(Duration.ofMillis(1_000));
    driver.advanceWallClockTime(Duration.ofMillis(1_000));

    List<Transition> fired = transitions();
    assertThat(fired).hasSize(250);
    assertThat(fired).extracting(Transition::getSessionId).doesNotHaveDuplicates();
    assertThat(fired).allSatisfy(t -> assertThat(t.getAt()).isEqualTo(T0.plusSeconds(5)));
  }

  @Test
  void shouldPurgeFinalSessionsAfterRetention() throws Exception {
    start(1000, EngineConfig.DEFAULTS.withRetention(Duration.ofSeconds(30)));
    send("s1", "e1", "InboundContact", T);
    send("s1", "e2", "TokenRejected", T + 100);
    assertThat(sessions().get("s1")).isNotNull();

    driver.advanceWallClockTime(Duration.ofSeconds(31));

    assertThat(sessions().get("s1")).isNull();
    send("s1", "e3", "InboundContact", T + 40_000);
    // a new life of the id: seq starts again, under a new incarnation (decision 12)
    assertThat(transitions())
        .extracting(t -> t.getSeq() + "@" + t.getIncarnation())
        .containsExactly("1@" + T + "/e1", "2@" + T + "/e1", "1@" + (T + 40_000) + "/e3");
    assertThat(SessionCodec.decode(sessions().get("s1")).incarnation())
        .isEqualTo((T + 40_000) + "/e3");
  }

  @Test
  void shouldSendUndecodableRecordsToDlqAndKeepGoing() throws Exception {
    start();
    byte[] junk = {0, 1, 2, (byte) 0xff, 42};
    rawAvro.pipeInput("k1".getBytes(StandardCharsets.UTF_8), junk, T);
    rawJson.pipeInput(
        "k2".getBytes(StandardCharsets.UTF_8), "{not json".getBytes(StandardCharsets.UTF_8), T);
    rawJson.pipeInput(
        "k3".getBytes(StandardCharsets.UTF_8),
        "{\"eventId\":\"e\",\"payload\":7}".getBytes(StandardCharsets.UTF_8),
        T);
    rawJson.pipeInput("k4".getBytes(StandardCharsets.UTF_8), null, T);
    rawJson.pipeInput("k5".getBytes(StandardCharsets.UTF_8), new byte[5000], T);
    send("s1", "e1", "InboundContact", T);

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(5);
    assertThat(dead.get(0).value()).isEqualTo(junk);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k1");
    assertThat(header(dead.get(0), "statewarden.error.topic")).isEqualTo("statewarden.events");
    assertThat(header(dead.get(0), "statewarden.error.offset")).isEqualTo("0");
    assertThat(header(dead.get(2), "statewarden.error")).contains("payload");
    assertThat(header(dead.get(4), "statewarden.error")).contains("statewarden.max.record.bytes");
    assertThat(transitions()).hasSize(1);
    assertThat(audits()).hasSize(1);
  }

  @Test
  void shouldAuditEveryBadInputRowOfTheSpec() throws Exception {
    start();
    json.pipeInput("other", listener("s1", "e1", "InboundContact", T, "{}"), T);
    json.pipeInput((String) null, listener("s1", "e1", "InboundContact", T, "{}"), T);
    json.pipeInput(
        "s2", listener("s2", "e1", "Nope", T, "{}").replace("taleus-listener", "nope"), T);
    json.pipeInput("s3", listener("s3", "e1", "ResponseSent", T, "{}"), T);
    json.pipeInput(
        "s4", listener("s4", "e1", "InboundContact", T, "{\"deep\":{\"a\":{\"b\":1}}}"), T);
    json.pipeInput("s\u0000x", listener("s\\u0000x", "e1", "InboundContact", T, "{}"), T);

    assertThat(audits())
        .extracting(AuditRecord::getReason)
        .containsExactly(
            RejectReason.KEY_MISMATCH,
            RejectReason.KEY_MISMATCH,
            RejectReason.UNKNOWN_PROTOCOL,
            RejectReason.UNKNOWN_SESSION,
            RejectReason.INVALID_EVENT);
    assertThat(transitions.isEmpty()).isTrue();
    assertThat(dlq.readRecordsToList())
        .singleElement()
        .satisfies(
            r ->
                assertThat(header(r, "statewarden.error"))
                    .contains("payload.deep is a nested object"));
  }

  @Test
  void shouldDeadLetterEventWhoseSessionCannotRunAndKeepTheThread() throws Exception {
    start();
    send("s1", "e1", "InboundContact", T);
    byte[] stored = sessions().get("s1");
    sessions().put("s1", SessionCodec.encode(retarget(SessionCodec.decode(stored))));

    send("s1", "e2", "HooksComplete", T + 100);
    send("s2", "e1", "InboundContact", T + 200);

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(header(r, "statewarden.error")).contains("to be loaded");
              assertThat(new String(r.value(), StandardCharsets.UTF_8))
                  .contains("\"eventId\":\"e2\"");
            });
    assertThat(transitions()).extracting(Transition::getSessionId).containsExactly("s1", "s2");
  }

  /** The same session on a protocol version that is not loaded. */
  static Session retarget(Session s) {
    byte[] bytes = SessionCodec.encode(s);
    String hex = java.util.HexFormat.of().formatHex(bytes);
    // protocol version is the varint after the protocol name: 01 -> 09
    String name =
        java.util.HexFormat.of().formatHex("taleus-listener".getBytes(StandardCharsets.UTF_8));
    return SessionCodec.decode(
        java.util.HexFormat.of().parseHex(hex.replace(name + "01", name + "09")));
  }

  static String header(TestRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
