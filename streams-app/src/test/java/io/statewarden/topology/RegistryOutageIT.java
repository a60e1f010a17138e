package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.testsupport.TcpProxy;
import io.statewarden.testsupport.TcpProxy.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema registry goes away for longer than a minute while events keep coming and deadlines
 * come due; when it is back, nothing may be lost, repeated or dead-lettered.
 *
 * <p>The processor reaches the shared registry only through a {@link TcpProxy}; the test's own
 * producers and readers talk to the registry directly, so they keep working during the outage. The
 * outage is either {@link Mode#REFUSE} (the registry is down: connection refused) or {@link
 * Mode#FREEZE} (the registry or the network hangs: connections open but silent, and the ones that
 * were frozen stay dead after the outage, as after the loss of a node).
 *
 * <p>During the outage: events of new sessions and steps of old ones, in the schema version the
 * processor resolved before the outage, in a newer backward-compatible version it has never seen
 * (registered by the test's producer in the real registry), and over JSON; whole-session deadlines
 * that come due while the registry is cut, for sessions created before and during the outage.
 */
@ExtendWith(RealKafka.class)
class RegistryOutageIT {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryOutageIT.class);

  static final String P = "outage-probe";
  static final long SESSION_TIMEOUT_MS = 60_000;
  static final Duration OUTAGE = Duration.ofSeconds(70);
  static final Duration JSON_INTO_OUTAGE = Duration.ofSeconds(30);
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration RECOVERY = Duration.ofSeconds(60);

  /** How long the registry may take to answer through the proxy; the first answer is slow. */
  static final int ANSWER_MS = 30_000;

  /** How long a frozen registry must stay silent to count as cut. */
  static final int SILENCE_MS = 2_000;

  /** Sessions end DONE or, with their whole-session deadline, EXPIRED (a backout). */
  static final String PROTOCOL =
      """
      protocol: outage-probe
      version: 1
      description: RegistryOutageIT's sessions
      initial: OPEN
      start: [Opened]
      forwardOnly: true
      sessionTimeout: {after: 60s, to: EXPIRED}
      states:
        OPEN:
          on:
            Step: STEPPED
        STEPPED:
          on:
            Close: DONE
        DONE: {final: COMPLETED}
        EXPIRED: {final: BACKED_OUT}
      """;

  @TempDir Path dir;

  /**
   * The outages to run, comma-separated; {@code FORWARD} runs the same scenario with the registry
   * never cut, a control of the test itself.
   */
  static final String OUTAGES_PROPERTY = "statewarden.it.registry.outages";

  static Stream<Mode> outages() {
    return Arrays.stream(System.getProperty(OUTAGES_PROPERTY, "REFUSE,FREEZE").split(","))
        .map(String::strip)
        .map(Mode::valueOf);
  }

  @ParameterizedTest(name = "registry {0}")
  @MethodSource("outages")
  void shouldLoseRepeatAndDeadLetterNothingWhileTheRegistryIsCut(Mode outage, KafkaInfra infra)
      throws Exception {
    URI registry = URI.create(infra.registryUrl());
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(protocols.resolve(P + ".yaml"), PROTOCOL);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3);
        TcpProxy proxy = TcpProxy.start(registry.getHost(), registry.getPort());
        Script s = new Script(d)) {
      String viaProxy = "http://127.0.0.1:" + proxy.port() + registry.getPath();
      d.extra.put("apicurio.registry.url", viaProxy);
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      assertThat(httpStatus(proxy.port(), registry.getPath(), ANSWER_MS)).isEqualTo(200);
      d.start();

      // given: sessions done and timed out, so every schema the processor writes is resolved
      long now = System.currentTimeMillis();
      s.complete("w-avro-1", Script.Via.AVRO, now);
      s.complete("w-avro-2", Script.Via.AVRO, now);
      s.complete("w-json-1", Script.Via.JSON, now);
      s.open("w-expire-1", Script.Via.AVRO, now - SESSION_TIMEOUT_MS + 1_000).expire("OPEN");
      assertThat(awaitOutcomes(d, s, WAIT)).as("sessions done before the outage").isTrue();

      // and: sessions whose deadlines come due during the outage, applied before it
      now = System.currentTimeMillis();
      s.open("p-expire-1", Script.Via.AVRO, now - 50_000).expire("OPEN");
      s.open("p-expire-2", Script.Via.AVRO, now - 50_000).expire("OPEN");
      s.open("p-step-1", Script.Via.AVRO, now - 40_000).expire("STEPPED");
      s.open("p-step-2", Script.Via.AVRO, now - 40_000).expire("STEPPED");
      s.open("p-close-1", Script.Via.AVRO, now);
      s.open("p-close-2", Script.Via.AVRO, now);
      awaitCreated(d, s.sessions.keySet(), WAIT);

      // when: the registry is cut
      long cut = System.currentTimeMillis();
      proxy.set(outage);
      assertCut(proxy, registry.getPath(), outage);
      s.useNewSchemaVersion(); // registered now, in the real registry, by the test's producer
      now = System.currentTimeMillis();
      assertThat(now)
          .as("steps stamped before their sessions' deadlines (is the machine too slow?)")
          .isLessThan(s.sessions.get("p-step-1").deadline());
      s.step("p-step-1", Script.Via.AVRO_V2, now);
      s.step("p-step-2", Script.Via.AVRO_V2, now);
      s.step("p-close-1", Script.Via.AVRO_V2, now);
      s.close("p-close-1", Script.Via.AVRO, now);
      s.step("p-close-2", Script.Via.AVRO, now);
      s.close("p-close-2", Script.Via.AVRO_V2, now);
      s.complete("o-avro-1", Script.Via.AVRO, now);
      s.complete("o-avro-2", Script.Via.AVRO, now);
      s.complete("o-v2-1", Script.Via.AVRO_V2, now);
      s.complete("o-v2-2", Script.Via.AVRO_V2, now);
      s.open("o-expire-v2-1", Script.Via.AVRO_V2, now - 40_000).expire("OPEN");
      s.open("o-expire-v2-2", Script.Via.AVRO_V2, now - 40_000).expire("OPEN");
      s.open("o-expire-1", Script.Via.AVRO, now - 40_000).expire("OPEN");
      s.assertNewSchemaIdsDiffer();
      sleepUntil(cut + JSON_INTO_OUTAGE.toMillis());
      now = System.currentTimeMillis();
      s.complete("o-json-1", Script.Via.JSON, now);
      s.complete("o-json-2", Script.Via.JSON, now);
      s.open("o-json-expire-1", Script.Via.JSON, now - 45_000).expire("OPEN");
      sleepUntil(cut + OUTAGE.toMillis());
      assertCut(proxy, registry.getPath(), outage);
      LOG.info(
          "Restoring the registry after {} ms; processor {}",
          since(cut),
          d.app().streams().state());
      proxy.set(Mode.FORWARD);
      long restored = System.currentTimeMillis();
      assertThat(httpStatus(proxy.port(), registry.getPath(), ANSWER_MS)).isEqualTo(200);

      // then
      boolean settled = awaitOutcomes(d, s, RECOVERY);
      LOG.info(
          "{} {} ms after the restore; processor {}",
          settled ? "Settled" : "Not settled",
          since(restored),
          d.app().streams().state());
      List<String> threads = streamThreads(d.appId);
      if (!settled) {
        logStreamThreads(d.appId);
      }
      assertAllAccountedFor(d, s, settled, threads);
    }
  }

  /** Every session's transitions, backouts and audit records as the script expects them. */
  private static void assertAllAccountedFor(
      Deployment d, Script s, boolean settled, List<String> threads) {
    List<ConsumerRecord<byte[], byte[]>> dead = readRaw(d, d.topics.dlq());
    List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
    List<Backout> backouts = d.readAll(d.topics.backouts(), Backout.class);
    List<AuditRecord> audits = d.readAll(d.topics.audit(), AuditRecord.class);
    Map<String, String> expected = new TreeMap<>();
    s.sessions.forEach((id, e) -> expected.put(id, e.summary()));
    Map<String, String> actual = new TreeMap<>();
    s.sessions.keySet().forEach(id -> actual.put(id, summary(id, ts, backouts, audits)));

    SoftAssertions softly = new SoftAssertions();
    softly
        .assertThat(dead.stream().map(RegistryOutageIT::describeDeadLetter).toList())
        .as("dead letters of valid input")
        .isEmpty();
    softly
        .assertThat(settled)
        .as("every outcome within %s of the restore; stream threads: %s", RECOVERY, threads)
        .isTrue();
    softly.assertThat(actual).as("each session's outcome").isEqualTo(expected);
    softly.check(() -> StatewardenIT.assertGaplessAndUnique(ts));
    softly
        .assertThat(ts)
        .as("transitions in all")
        .hasSize(s.sessions.values().stream().mapToInt(Script.Expect::transitions).sum());
    softly
        .assertThat(backouts)
        .as("backouts in all (one per timed-out session)")
        .hasSize((int) s.sessions.values().stream().filter(Script.Expect::timesOut).count());
    softly
        .assertThat(audits)
        .as("audit records in all (one per input event and per fired deadline)")
        .hasSize(s.sessions.values().stream().mapToInt(Script.Expect::audits).sum());
    softly
        .assertThat(audits)
        .as("audit records of sessions the script never wrote")
        .extracting(AuditRecord::getSessionId)
        .allMatch(s.sessions::containsKey);
    softly.assertAll();
  }

  /**
   * One line per session: its final move, how many transitions, its backouts, its fired deadlines
   * and the decisions on its input events (sorted), e.g. {@code final=EXPIRED/SESSION_TIMEOUT@..
   * transitions=2 backouts=[SESSION_TIMEOUT from OPEN deadline ..] fired=1 inputs=[e1:ACCEPTED]}.
   */
  static String summary(
      String session, List<Transition> ts, List<Backout> backouts, List<AuditRecord> audits) {
    List<Transition> mine = ts.stream().filter(t -> t.getSessionId().equals(session)).toList();
    String last =
        mine.stream()
            .filter(Transition::getFinal$)
            .map(
                t ->
                    t.getTo()
                        + "/"
                        + t.getTrigger()
                        + (t.getTo().equals("EXPIRED") ? "@" + t.getAt().toEpochMilli() : ""))
            .collect(Collectors.joining(",", "[", "]"));
    List<String> bs =
        backouts.stream()
            .filter(b -> b.getSessionId().equals(session))
            .map(
                b ->
                    b.getReason()
                        + " from "
                        + b.getStalledState()
                        + " deadline "
                        + (b.getDeadline() == null ? null : b.getDeadline().toEpochMilli()))
            .toList();
    List<AuditRecord> as = audits.stream().filter(a -> a.getSessionId().equals(session)).toList();
    long fired = as.stream().filter(a -> a.getDecision() == Decision.DEADLINE_FIRED).count();
    List<String> inputs =
        as.stream()
            .filter(a -> a.getDecision() != Decision.DEADLINE_FIRED)
            .map(
                a ->
                    a.getEventId()
                        + ":"
                        + a.getDecision()
                        + (a.getReason() == null ? "" : "/" + a.getReason()))
            .sorted()
            .toList();
    return "final="
        + last
        + " transitions="
        + mine.size()
        + " backouts="
        + bs
        + " fired="
        + fired
        + " inputs="
        + inputs;
  }

  /** The processor is cut off: refused, or connected but silent (or, in the control, not cut). */
  private static void assertCut(TcpProxy proxy, String path, Mode outage) throws IOException {
    if (outage == Mode.FORWARD) {
      assertThat(httpStatus(proxy.port(), path, ANSWER_MS)).isEqualTo(200);
    } else if (outage == Mode.REFUSE) {
      assertThatThrownBy(() -> httpStatus(proxy.port(), path, SILENCE_MS))
          .as("a connect to the registry through the proxy")
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Connection refused");
    } else {
      assertThatThrownBy(() -> httpStatus(proxy.port(), path, SILENCE_MS))
          .as("a request to the registry through the proxy")
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  /** GET {@code <path>/system/info} on a plain socket, waiting at most {@code timeoutMs}. */
  static int httpStatus(int port, String path, int timeoutMs) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      socket
          .getOutputStream()
          .write(
              ("GET "
                      + path
                      + "/system/info HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
        line.append((char) c);
      }
      String[] parts = line.toString().split(" ");
      if (parts.length < 2) {
        throw new IOException("Expected an HTTP status line, but got '" + line + "'");
      }
      return Integer.parseInt(parts[1]);
    }
  }

  /**
   * Waits until every session of the script shows its expected outcome and the totals are reached.
   *
   * @return whether it did within {@code timeout}
   */
  private static boolean awaitOutcomes(Deployment d, Script s, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
      Map<String, String> finals = new HashMap<>();
      ts.stream()
          .filter(Transition::getFinal$)
          .forEach(t -> finals.put(t.getSessionId(), t.getTo()));
      boolean done =
          s.sessions.values().stream()
              .allMatch(
                  e -> e.expectedFinal() == null || e.expectedFinal().equals(finals.get(e.id)));
      int audits = s.sessions.values().stream().mapToInt(Script.Expect::audits).sum();
      if (done
          && ts.size() >= s.sessions.values().stream().mapToInt(Script.Expect::transitions).sum()
          && d.readAll(d.topics.audit(), AuditRecord.class).size() >= audits) {
        Thread.sleep(1_000); // anything more (a repeat) would show now
        return true;
      }
      Thread.sleep(1_000);
    }
    return false;
  }

  /** Waits until each session has its creating transition. */
  private static void awaitCreated(Deployment d, java.util.Set<String> sessions, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      java.util.Set<String> created =
          d.readAll(d.topics.transitions(), Transition.class).stream()
              .map(Transition::getSessionId)
              .collect(Collectors.toSet());
      if (created.containsAll(sessions)) {
        return;
      }
      assertThat(System.nanoTime())
          .as("sessions created before the outage: %s of %s", created, sessions)
          .isLessThan(end);
      Thread.sleep(500);
    }
  }

  /** Every committed record of a topic up to its current end, as raw bytes. */
  static List<ConsumerRecord<byte[], byte[]>> readRaw(Deployment d, String topic) {
    Map<String, Object> c = d.infra.clientConfig();
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(300)).forEach(out::add);
      }
    }
    return out;
  }

  static String describeDeadLetter(ConsumerRecord<byte[], byte[]> r) {
    Header error = r.headers().lastHeader(DecodeProcessor.H_ERROR);
    Header type = r.headers().lastHeader(DecodeProcessor.H_ERROR_CLASS);
    Header topic = r.headers().lastHeader(DecodeProcessor.H_TOPIC);
    Function<Header, String> text =
        h -> h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    return (r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8))
        + " from "
        + text.apply(topic)
        + ": "
        + text.apply(type)
        + ": "
        + text.apply(error);
  }

  /**
   * Each stream thread of the app, its state and where it is: the registry client and statewarden
   * frames of its stack, or its top frames when it has none.
   */
  static List<String> streamThreads(String appId) {
    List<String> out = new ArrayList<>();
    Thread.getAllStackTraces()
        .forEach(
            (t, stack) -> {
              if (!t.getName().startsWith(appId) || !t.getName().contains("StreamThread")) {
                return;
              }
              List<String> ours =
                  Arrays.stream(stack)
                      .filter(
                          f ->
                              f.getClassName().startsWith("io.apicurio")
                                  || f.getClassName().startsWith("io.kiota")
                                  || f.getClassName().startsWith("io.statewarden"))
                      .limit(4)
                      .map(f -> simple(f.getClassName()) + "." + f.getMethodName())
                      .toList();
              List<String> where =
                  ours.isEmpty()
                      ? Arrays.stream(stack)
                          .limit(3)
                          .map(f -> simple(f.getClassName()) + "." + f.getMethodName())
                          .toList()
                      : ours;
              out.add(
                  t.getName().substring(t.getName().indexOf("StreamThread"))
                      + " "
                      + t.getState()
                      + " in "
                      + String.join(" <- ", where));
            });
    return out;
  }

  private static String simple(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  private static void logStreamThreads(String appId) {
    Thread.getAllStackTraces()
        .forEach(
            (t, stack) -> {
              if (t.getName().startsWith(appId) && t.getName().contains("StreamThread")) {
                LOG.warn(
                    "{} ({}) is at:\n\t{}",
                    t.getName(),
                    t.getState(),
                    Arrays.stream(stack)
                        .limit(30)
                        .map(StackTraceElement::toString)
                        .collect(Collectors.joining("\n\t")));
              }
            });
  }

  private static void sleepUntil(long wallClock) throws InterruptedException {
    long left = wallClock - System.currentTimeMillis();
    if (left > 0) {
      Thread.sleep(left);
    }
  }

  private static long since(long wallClock) {
    return System.currentTimeMillis() - wallClock;
  }

  /**
   * Writes the events of the scenario and remembers what each session must come to. Events go over
   * Avro in the schema version of the generated class, over Avro in a newer version (one more
   * optional field) that only the test's producer knows, or over JSON.
   */
  static final class Script implements AutoCloseable {
    enum Via {
      AVRO,
      AVRO_V2,
      JSON
    }

    /** What one session must come to. */
    static final class Expect {
      final String id;
      final long createdAt;
      final List<String> inputs = new ArrayList<>();
      boolean closes;
      String stalledState; // non-null: it must time out from this state

      Expect(String id, long createdAt) {
        this.id = id;
        this.createdAt = createdAt;
      }

      boolean timesOut() {
        return stalledState != null;
      }

      long deadline() {
        return createdAt + SESSION_TIMEOUT_MS;
      }

      int transitions() {
        return inputs.size() + (timesOut() ? 1 : 0);
      }

      int audits() {
        return inputs.size() + (timesOut() ? 1 : 0);
      }

      /** The final state it must reach, or null when it must stay open. */
      String expectedFinal() {
        return timesOut() ? "EXPIRED" : closes ? "DONE" : null;
      }

      String summary() {
        String last =
            timesOut()
                ? "[EXPIRED/SESSION_TIMEOUT@" + deadline() + "]"
                : closes ? "[DONE/EVENT]" : "[]";
        List<String> bs =
            timesOut()
                ? List.of("SESSION_TIMEOUT from " + stalledState + " deadline " + deadline())
                : List.of();
        return "final="
            + last
            + " transitions="
            + transitions()
            + " backouts="
            + bs
            + " fired="
            + (timesOut() ? 1 : 0)
            + " inputs="
            + inputs.stream().map(e -> e + ":ACCEPTED").sorted().toList();
      }

      /** It must time out in {@code state}: no more events come for it. */
      void expire(String state) {
        stalledState = state;
      }
    }

    final Map<String, Expect> sessions = new LinkedHashMap<>();
    private final Deployment d;
    private final Schema v2;
    private final KafkaProducer<String, Object> v2Producer;
    private boolean v2Used;

    @SuppressWarnings({"unchecked", "rawtypes"})
    Script(Deployment d) {
      this.d = d;
      this.v2 = newerProtocolEvent();
      Map<String, Object> pc = d.infra.clientConfig(); // the real registry, never the proxy
      pc.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      pc.put("apicurio.registry.auto-register", "true");
      AvroKafkaSerializer<GenericRecord> ser = new AvroKafkaSerializer<>();
      ser.configure(pc, false);
      this.v2Producer =
          new KafkaProducer<>(
              pc, new StringSerializer(), (org.apache.kafka.common.serialization.Serializer) ser);
    }

    /** ProtocolEvent with one more optional field, {@code traceId}: backward compatible. */
    static Schema newerProtocolEvent() {
      Schema v1 = ProtocolEvent.getClassSchema();
      List<Schema.Field> fields = new ArrayList<>();
      v1.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
      fields.add(
          new Schema.Field(
              "traceId",
              Schema.createUnion(
                  Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)),
              "added by RegistryOutageIT",
              JsonProperties.NULL_VALUE));
      return Schema.createRecord(v1.getName(), v1.getDoc(), v1.getNamespace(), false, fields);
    }

    void useNewSchemaVersion() {
      v2Used = true;
    }

    Expect open(String session, Via via, long timestamp) {
      Expect e = new Expect(session, timestamp);
      sessions.put(session, e);
      send(e, "e1", "Opened", via, timestamp);
      return e;
    }

    void step(String session, Via via, long timestamp) {
      send(sessions.get(session), "e2", "Step", via, timestamp);
    }

    void close(String session, Via via, long timestamp) {
      Expect e = sessions.get(session);
      e.closes = true;
      send(e, "e3", "Close", via, timestamp);
    }

    void complete(String session, Via via, long timestamp) {
      open(session, via, timestamp);
      step(session, via, timestamp);
      close(session, via, timestamp);
    }

    private void send(Expect e, String eventId, String type, Via via, long timestamp) {
      e.inputs.add(eventId);
      switch (via) {
        case AVRO ->
            d.sendAvro(
                e.id, Deployment.event(e.id, eventId, P, type, Map.of("via", "avro")), timestamp);
        case JSON ->
            d.sendJson(
                e.id, Deployment.json(e.id, eventId, P, type, "{\"via\":\"json\"}"), timestamp);
        case AVRO_V2 -> {
          if (!v2Used) {
            throw new IllegalStateException("the newer schema is for events during the outage");
          }
          GenericRecord r = new GenericData.Record(v2);
          r.put("eventId", eventId);
          r.put("sessionId", e.id);
          r.put("protocol", P);
          r.put("type", type);
          r.put("payload", Map.of("via", "avro-v2"));
          r.put("source", "RegistryOutageIT");
          r.put("traceId", "trace-" + e.id + "-" + eventId);
          v2Producer.send(new ProducerRecord<>(d.topics.events(), null, timestamp, e.id, r));
          v2Producer.flush();
        }
      }
    }

    /**
     * The newer version's records carry a schema id other than the older version's: the processor
     * resolved only the older one before the outage.
     */
    void assertNewSchemaIdsDiffer() {
      Map<String, byte[]> idBySession = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : readRaw(d, d.topics.events())) {
        if (r.key() != null && r.value() != null && r.value().length > 5) {
          idBySession.put(
              new String(r.key(), StandardCharsets.UTF_8), Arrays.copyOfRange(r.value(), 0, 5));
        }
      }
      assertThat(idBySession).containsKeys("o-v2-1", "o-avro-1");
      assertThat(idBySession.get("o-v2-1"))
          .as("magic byte and schema id of the newer version")
          .isNotEqualTo(idBySession.get("o-avro-1"));
    }

    @Override
    public void close() {
      v2Producer.close();
    }
  }
}
