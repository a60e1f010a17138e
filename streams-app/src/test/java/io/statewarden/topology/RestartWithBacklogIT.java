package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restart while a backlog sits in both input topics decides exactly what a run without the
 * restart decides: an event stamped before its session's deadline counts, however long after the
 * deadline (on the wall clock) the processor gets to read it (SPEC rule 8, docs/decisions/0004).
 *
 * <p>How the interleaving is forced: sessions are opened live with a whole-session timeout, then
 * the processor stops. While it is down, their steps arrive stamped before the deadline: thousands
 * on the JSON topic (each must be normalized into the events topic before the engine sees it) and
 * some on the Avro topic, and, first in the backlog of every Avro partition, a fresh record stamped
 * at the restart (live traffic, which is what tells a catch-up check "caught up" if it goes by
 * record time). The processor restarts on the same state directory only once the wall clock is past
 * every deadline, so every deadline is due the moment a task starts. Steps never move the deadline,
 * so a timer written before a step is applied is stale when read back, and the deadline must still
 * fire later. The expected decisions follow from the timestamps alone (a small reference model
 * below), as a run without the restart would decide.
 */
@ExtendWith(RealKafka.class)
class RestartWithBacklogIT {
  private static final Logger LOG = LoggerFactory.getLogger(RestartWithBacklogIT.class);
  private static final Duration WAIT = Duration.ofSeconds(240);
  private static final long TIMEOUT_MS = 20_000;
  private static final int PARTITIONS = 3;

  /** Sessions completed by JSON steps in the backlog. */
  private static final int JSON_DONE = 500;

  /** JSON steps of each of them before its finish: thousands of JSON records to normalize. */
  private static final int JSON_STEPS = 8;

  /** Sessions completed by Avro steps in the backlog. */
  private static final int AVRO_DONE = 100;

  /** Sessions with a step but no finish before the deadline (half JSON, half Avro). */
  private static final int STALLED = 100;

  /** Sessions whose finish is stamped after the deadline (JSON): they must back out. */
  private static final int LATE = 50;

  private static final String PROTOCOL =
      """
      # A whole-session timeout only: the deadline is the Open's timestamp plus 20 s.
      protocol: backlog-test
      version: 1
      initial: OPEN
      start: [Open]
      sessionTimeout: {after: 20s, to: EXPIRED}
      states:
        OPEN:
          on:
            Step: WORKING
        WORKING:
          on:
            Step: WORKING
            Finish: DONE
        DONE: {final: COMPLETED}
        EXPIRED: {final: BACKED_OUT}
      """;

  @TempDir Path dir;

  /** One input event as sent: the reference model decides from these alone. */
  record Sent(String session, String type, long timestamp, boolean json) {}

  @Test
  void shouldDecideAsWithoutRestartWhenRestartedWithABacklogInBothInputs(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(protocols.resolve("backlog-test.yaml"), PROTOCOL);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), PARTITIONS);
        Input in = new Input(d);
        Outputs out = new Outputs(d)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.start();

      // given: a warmed-up processor (first records pay for registry lookups and class loading)
      List<String> warm = onePerPartition("warm");
      for (String id : warm) {
        long at = System.currentTimeMillis();
        for (String type : List.of("Open", "Step", "Finish")) in.send(id, type, at, true);
        for (String type : List.of("Open", "Step", "Finish")) in.send(id + "a", type, at, false);
      }
      in.flush();
      out.await(warm.size() * 6, 0, null);

      // and: sessions opened live (Avro: fast), all with the deadline t0 + timeout
      long t0 = System.currentTimeMillis();
      long deadline = t0 + TIMEOUT_MS;
      List<String> jsonDone = ids("jd", JSON_DONE);
      List<String> avroDone = ids("ad", AVRO_DONE);
      List<String> stalled = ids("st", STALLED);
      List<String> late = ids("lt", LATE);
      for (List<String> group : List.of(jsonDone, avroDone, stalled, late)) {
        for (String id : group) in.send(id, "Open", t0, false);
      }
      in.flush();
      int opened = JSON_DONE + AVRO_DONE + STALLED + LATE;
      out.await(warm.size() * 6 + opened, 0, null);
      d.stop();
      long stoppedAt = System.currentTimeMillis();
      LOG.info(
          "{} sessions opened live and the processor stopped {} ms after t0",
          opened,
          stoppedAt - t0);
      assertThat(stoppedAt)
          .as("setup: the processor must stop before the deadlines (machine too slow?)")
          .isLessThan(deadline - 1_000);
      assertThat(d.readAll(d.topics.backouts(), Backout.class))
          .as("backouts before restart")
          .isEmpty();

      // and: while it is down, a fresh Avro record first on every partition, stamped at the restart
      long restartAt = deadline + 1_000;
      List<String> fresh = onePerPartition("fresh");
      for (String id : fresh) in.send(id, "Open", restartAt, false);
      for (String id : fresh) in.send(id, "Step", restartAt, false);
      for (String id : fresh) in.send(id, "Finish", restartAt, false);
      // and: Avro steps stamped before the deadline
      for (String id : avroDone) in.send(id, "Step", t0 + 1_000, false);
      for (String id : avroDone) in.send(id, "Finish", t0 + 2_000, false);
      for (int i = 1; i < STALLED; i += 2) in.send(stalled.get(i), "Step", t0 + 1_000, false);
      // and: thousands of JSON steps stamped before the deadline, a few finishes stamped after it
      for (int step = 0; step < JSON_STEPS; step++) {
        for (String id : jsonDone) in.send(id, "Step", t0 + 1_000 + step, true);
      }
      for (int i = 0; i < STALLED; i += 2) in.send(stalled.get(i), "Step", t0 + 1_000, true);
      for (String id : late) in.send(id, "Step", t0 + 1_000, true);
      for (String id : jsonDone) in.send(id, "Finish", t0 + 2_000 + (id.hashCode() & 0xfff), true);
      for (String id : late) in.send(id, "Finish", deadline + 500, true);
      in.flush();
      long backlogJson = in.sent.stream().filter(s -> s.json() && s.timestamp() > t0).count();
      long backlogAvro = in.sent.stream().filter(s -> !s.json() && s.timestamp() > t0).count();
      LOG.info("Backlog produced {} ms after t0", System.currentTimeMillis() - t0);

      // when: it restarts on the same state directory once every deadline has passed
      long sleep = restartAt - System.currentTimeMillis();
      if (sleep > 0) Thread.sleep(sleep);
      long restarted = System.currentTimeMillis();
      d.start();
      LOG.info(
          "Restarted {} ms after the deadlines with a backlog of {} JSON and {} Avro records",
          restarted - deadline,
          backlogJson,
          backlogAvro);

      // then: the decisions are those of the timestamps
      int total = opened + fresh.size() + warm.size() * 2;
      List<Transition> ts = out.await(0, total, Duration.ofSeconds(30));
      LOG.info("Outputs settled {} ms after the restart", System.currentTimeMillis() - restarted);
      Map<String, String> expected = expectedEnds(in.sent, TIMEOUT_MS);
      Map<String, Transition> last =
          ts.stream().collect(Collectors.toMap(Transition::getSessionId, t -> t, (x, y) -> y));
      Map<String, String> notFinal = new TreeMap<>();
      Map<String, String> wrong = new TreeMap<>();
      expected.forEach(
          (id, end) -> {
            Transition t = last.get(id);
            if (t == null || !t.getFinal$()) {
              notFinal.put(id, t == null ? "no transition" : t.getTo() + " at seq " + t.getSeq());
            } else if (!end.equals(t.getTo())) {
              wrong.put(id, "expected " + end + " but " + t.getTo());
            }
          });
      List<AuditRecord> audits = d.readAll(d.topics.audit(), AuditRecord.class);
      long closedInTime =
          audits.stream()
              .filter(a -> a.getReason() == RejectReason.SESSION_CLOSED)
              .filter(a -> !a.getSessionId().startsWith("lt-"))
              .count();
      LOG.info(
          "Decisions of {} sessions: {} as expected, {} wrong ({} completed by JSON steps), {} never"
              + " final; {} steps stamped in time rejected as SESSION_CLOSED",
          expected.size(),
          expected.size() - wrong.size() - notFinal.size(),
          wrong.size(),
          wrong.keySet().stream().filter(id -> id.startsWith("jd-")).count(),
          notFinal.size(),
          closedInTime);
      List<String> backedOut =
          expected.entrySet().stream()
              .filter(e -> e.getValue().equals("EXPIRED"))
              .map(Map.Entry::getKey)
              .toList();
      SoftAssertions softly = new SoftAssertions();
      softly
          .assertThat(wrong.size())
          .as(
              "sessions decided unlike a run without restart (of %d; backlog %d JSON, %d Avro"
                  + " records), e.g. %s",
              expected.size(), backlogJson, backlogAvro, sample(wrong))
          .isZero();
      softly
          .assertThat(notFinal.size())
          .as("sessions never final (a deadline lost?), e.g. %s", sample(notFinal))
          .isZero();
      // and: each stalled or late session backed out exactly once, nothing else did
      List<String> backouts =
          d.readAll(d.topics.backouts(), Backout.class).stream()
              .map(Backout::getSessionId)
              .toList();
      List<String> fired =
          audits.stream()
              .filter(a -> a.getDecision() == Decision.DEADLINE_FIRED)
              .map(AuditRecord::getSessionId)
              .toList();
      for (Map.Entry<String, List<String>> e :
          Map.of("backouts", backouts, "DEADLINE_FIRED audits", fired).entrySet()) {
        softly
            .assertThat(e.getValue())
            .as("%s: one per session that expired", e.getKey())
            .doesNotHaveDuplicates();
        softly
            .assertThat(difference(e.getValue(), backedOut))
            .as("%s: sessions differing from those that expired", e.getKey())
            .isEmpty();
      }
      softly.check(() -> StatewardenIT.assertGaplessAndUnique(ts));
      softly
          .assertThat(
              audits.stream()
                  .filter(a -> a.getInput() != null)
                  .map(
                      a ->
                          a.getInput().getTopic()
                              + "/"
                              + a.getInput().getPartition()
                              + "@"
                              + a.getInput().getOffset())
                  .toList())
          .as("one audit per input")
          .doesNotHaveDuplicates()
          .hasSize(in.sent.size());
      softly.assertAll();
    }
  }

  /** The elements in one of the lists but not in the other, at most a few. */
  private static List<String> difference(List<String> a, List<String> b) {
    Set<String> x = new HashSet<>(a);
    Set<String> y = new HashSet<>(b);
    List<String> out = new ArrayList<>();
    a.stream().filter(id -> !y.contains(id)).map(id -> "+" + id).forEach(out::add);
    b.stream().filter(id -> !x.contains(id)).map(id -> "-" + id).forEach(out::add);
    return out.size() > 8 ? List.of(out.size() + " differ, e.g. " + out.subList(0, 8)) : out;
  }

  private static String sample(Map<String, String> m) {
    return m.entrySet().stream().limit(8).map(e -> e.getKey() + ": " + e.getValue()).toList()
        + (m.size() > 8 ? " ..." : "");
  }

  /**
   * The reference model: a session completes if its Finish is stamped before its deadline (its
   * Open's timestamp plus the timeout), otherwise its deadline fires first and it expires.
   */
  static Map<String, String> expectedEnds(List<Sent> sent, long timeoutMs) {
    Map<String, Long> opened =
        sent.stream()
            .filter(s -> s.type().equals("Open"))
            .collect(Collectors.toMap(Sent::session, Sent::timestamp));
    Map<String, Long> finished =
        sent.stream()
            .filter(s -> s.type().equals("Finish"))
            .collect(Collectors.toMap(Sent::session, Sent::timestamp));
    Map<String, String> ends = new TreeMap<>();
    opened.forEach(
        (id, at) -> {
          Long fin = finished.get(id);
          ends.put(id, fin != null && fin < at + timeoutMs ? "DONE" : "EXPIRED");
        });
    return ends;
  }

  /** The transitions topic read_committed, kept across waits (re-reading it all is slow). */
  private static final class Outputs implements AutoCloseable {
    private final Deployment d;
    private final List<Transition> all = new ArrayList<>();
    private final KafkaConsumer<String, Object> consumer;

    Outputs(Deployment d) {
      this.d = d;
      Map<String, Object> c = d.infra.clientConfig();
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put("apicurio.registry.use-specific-avro-reader", "true");
      AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
      values.configure(c, false);
      consumer = new KafkaConsumer<>(c, new StringDeserializer(), values);
      String topic = d.topics.transitions();
      List<TopicPartition> parts =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
    }

    /**
     * All transitions so far, once there are {@code transitions} and {@code finals} of them are
     * final and nothing new came for 3 s; or, with {@code giveUp}, once nothing new came for that
     * long (the assertions then say what is missing).
     */
    List<Transition> await(int transitions, int finals, Duration giveUp) {
      long end = System.nanoTime() + WAIT.toNanos();
      long quietSince = System.nanoTime();
      long lastLog = 0;
      while (true) {
        int before = all.size();
        consumer.poll(Duration.ofMillis(500)).forEach(r -> all.add((Transition) r.value()));
        long now = System.nanoTime();
        if (all.size() != before) quietSince = now;
        long f = all.stream().filter(Transition::getFinal$).count();
        if (all.size() >= transitions && f >= finals && now - quietSince > 3_000_000_000L) {
          return List.copyOf(all);
        }
        if (giveUp != null && now - quietSince > giveUp.toNanos()) {
          LOG.warn(
              "Nothing new for {}: {} transitions, {} of {} sessions final",
              giveUp,
              all.size(),
              f,
              finals);
          return List.copyOf(all);
        }
        if (now - lastLog > 10_000_000_000L) {
          LOG.info("{} transitions, {} final so far on {}", all.size(), f, d.topics.transitions());
          lastLog = now;
        }
        if (now > end) {
          throw new AssertionError(
              "Expected "
                  + transitions
                  + " transitions and "
                  + finals
                  + " final within "
                  + WAIT
                  + ", but got "
                  + all.size()
                  + " and "
                  + f);
        }
      }
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  private static List<String> ids(String prefix, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(prefix + "-" + i);
    return ids;
  }

  /** One session id per partition of the input topics (the default partitioner's choice). */
  private static List<String> onePerPartition(String prefix) {
    Map<Integer, String> byPartition = new TreeMap<>();
    for (int i = 0; byPartition.size() < PARTITIONS; i++) {
      String id = prefix + "-" + i;
      byPartition.putIfAbsent(partitionOf(id), id);
    }
    return List.copyOf(byPartition.values());
  }

  private static int partitionOf(String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  /** Both input topics, batched (the deployment's own producers flush every record). */
  private static final class Input implements AutoCloseable {
    final List<Sent> sent = new ArrayList<>();
    private final Deployment d;
    private final KafkaProducer<String, Object> avro;
    private final KafkaProducer<byte[], byte[]> json;

    @SuppressWarnings({"unchecked", "rawtypes"})
    Input(Deployment d) {
      this.d = d;
      Map<String, Object> c = d.infra.clientConfig();
      c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      c.put("apicurio.registry.auto-register", "true");
      AvroKafkaSerializer<ProtocolEvent> ser = new AvroKafkaSerializer<>();
      ser.configure(c, false);
      avro = new KafkaProducer<>(c, new StringSerializer(), (Serializer) ser);
      json = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void send(String session, String type, long timestamp, boolean asJson) {
      String eventId = session + "-" + type + "-" + sent.size();
      if (asJson) {
        byte[] value =
            Deployment.json(session, eventId, "backlog-test", type, "{}")
                .getBytes(StandardCharsets.UTF_8);
        json.send(
            new ProducerRecord<>(
                d.topics.eventsJson(),
                null,
                timestamp,
                session.getBytes(StandardCharsets.UTF_8),
                value));
      } else {
        avro.send(
            new ProducerRecord<>(
                d.topics.events(),
                null,
                timestamp,
                session,
                Deployment.event(session, eventId, "backlog-test", type, Map.of())));
      }
      sent.add(new Sent(session, type, timestamp, asJson));
    }

    void flush() {
      avro.flush();
      json.flush();
    }

    @Override
    public void close() {
      avro.close();
      json.close();
    }
  }
}
