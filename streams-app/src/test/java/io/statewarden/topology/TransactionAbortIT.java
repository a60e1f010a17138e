package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.replay.OutputReader;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transaction of the live processor aborts while it holds timer records, and nothing crashes: the
 * deadlines pending before the abort still fire exactly once (docs/decisions/0004 and 0005: the
 * index entries taken out are rebuilt when the task is revived).
 *
 * <p>How the abort is forced: transactions stay open for seconds ({@code commit.interval.ms=5000})
 * while a 100 ms punctuator writes timer records into them. Once a read_uncommitted reader sees a
 * timer record at or above the events partition's last stable offset (written, not committed), the
 * test calls {@code initTransactions()} with the processor's own transactional id, found with
 * {@link Admin#listTransactions()}. The coordinator aborts the open transaction and bumps the
 * epoch; the stream thread's next send or commit fails with {@code ProducerFencedException}, its
 * tasks are closed dirty and revived in the same JVM, on the same thread. Repeated for a few
 * rounds. Afterwards {@code GET /sessions} lists every session once, in its committed state: the
 * in-memory list index was rebuilt each time the tasks started again (decision 0025).
 */
@ExtendWith(RealKafka.class)
class TransactionAbortIT {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionAbortIT.class);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int ROUNDS = 3;
  private static final int SESSIONS_PER_ROUND = 40;
  private static final String PROTOCOL =
      """
      # One short state timeout; the whole-session timeout never comes due in this test.
      protocol: abort-test
      version: 1
      initial: OPEN
      start: [Open]
      sessionTimeout: {after: 10m, to: EXPIRED}
      states:
        OPEN:
          timeout: {after: 2s, to: STALLED}
          on:
            Finish: DONE
        DONE: {final: COMPLETED}
        STALLED: {final: BACKED_OUT}
        EXPIRED: {final: BACKED_OUT}
      """;

  @TempDir Path dir;

  /** A timer record where a reader found it. */
  record TimerSeen(String sessionId, TopicPartition partition, long offset) {}

  /** One forced fence: the timer records it found written but not committed. */
  record Fence(int round, Set<TimerSeen> pending) {}

  @Test
  void shouldFirePendingDeadlinesExactlyOnceWhenTheirTransactionAbortsWithoutACrash(
      KafkaInfra infra) throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(protocols.resolve("abort-test.yaml"), PROTOCOL);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2);
        Admin admin = Admin.create(Map.of("bootstrap.servers", infra.bootstrapServers()))) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put("commit.interval.ms", "5000"); // transactions stay open for seconds
      d.extra.put(StatewardenConfig.PUNCTUATION_INTERVAL_MS, "100");
      StatewardenApp app = d.start();
      Liveness liveness = Liveness.watch(app);
      List<Fence> fences = new ArrayList<>();
      List<String> sessions = new ArrayList<>();
      int inputs = 0;
      try (TimerReader uncommitted = new TimerReader(d, "read_uncommitted");
          TimerReader committed = new TimerReader(d, "read_committed")) {
        for (int round = 1; round <= ROUNDS; round++) {
          // given: sessions whose 2 s state timeout falls due soon, half over Avro, half over JSON
          long now = System.currentTimeMillis();
          List<String> ids = new ArrayList<>();
          for (int i = 0; i < SESSIONS_PER_ROUND; i++) {
            String id = "ab-" + round + "-" + i;
            ids.add(id);
            if (i % 2 == 0) {
              d.sendAvro(
                  id, Deployment.event(id, id + "-open", "abort-test", "Open", Map.of()), now);
            } else {
              d.sendJson(id, Deployment.json(id, id + "-open", "abort-test", "Open", "{}"), now);
            }
          }
          sessions.addAll(ids);
          inputs += ids.size();

          // when: their timer records are written but not committed, the producer is fenced
          fences.add(fenceWhilePending(round, d, admin, uncommitted, committed, Set.copyOf(ids)));

          // then (per round): every session of the round is backed out
          awaitBackouts(d, ids);
        }
      }

      // then: quiet for longer than a commit interval, so a late second firing would show
      List<Transition> ts = awaitQuiet(d, sessions.size() * 2);
      liveness.stop();

      // the session list index is in memory (decision 0025): each fence closed the tasks dirty and
      // started them again, rebuilding it from the restored sessions; it lists every session once,
      // in its committed state, the sessions of the rounds before a fence included
      assertThat(StatewardenIT.listedStates(d))
          .containsOnlyKeys(sessions)
          .allSatisfy((id, state) -> assertThat(state).as(id).isEqualTo("STALLED"));

      // the abort happened: timers read uncommitted at fence time never became committed
      Set<TimerSeen> committedTimers =
          new HashSet<>(timersIn(OutputReader.readAll(infra.clientConfig(), d.topics.events())));
      int aborted = 0;
      for (Fence f : fences) {
        long lost = f.pending().stream().filter(t -> !committedTimers.contains(t)).count();
        aborted += lost;
        LOG.info(
            "Fence of round {}: {} timer records pending at fence time, {} of them never"
                + " committed (aborted)",
            f.round(),
            f.pending().size(),
            lost);
      }
      assertThat(aborted)
          .as("timer records that were written, fenced and never committed (proof of an abort)")
          .isPositive();

      // the process did not crash: same KafkaStreams, same stream threads, never in ERROR
      LOG.info(
          "Liveness: states seen {}, rebalances {}, threads at start {}, threads seen {}",
          liveness.states.keySet(),
          liveness.rebalances.get(),
          liveness.threadsAtStart,
          liveness.threadsSeen);
      assertThat(d.app()).isSameAs(app);
      assertThat(app.isRunning()).isTrue();
      assertThat(liveness.states.keySet())
          .as("states of the one KafkaStreams instance")
          .containsOnly(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
      assertThat(liveness.threadsSeen)
          .as("stream threads: none failed and was replaced")
          .isEqualTo(liveness.threadsAtStart);

      // every deadline fired exactly once
      assertThat(ts).hasSize(sessions.size() * 2);
      StatewardenIT.assertGaplessAndUnique(ts);
      assertThat(ts)
          .filteredOn(Transition::getFinal$)
          .extracting(Transition::getTo)
          .hasSize(sessions.size())
          .containsOnly("STALLED");
      List<Backout> backouts = d.readAll(d.topics.backouts(), Backout.class);
      assertThat(backouts)
          .extracting(Backout::getSessionId)
          .containsExactlyInAnyOrderElementsOf(sessions);
      assertThat(backouts)
          .allSatisfy(b -> assertThat(b.getReason()).isEqualTo(BackoutReason.TIMEOUT));
      List<AuditRecord> audits = d.readAll(d.topics.audit(), AuditRecord.class);
      assertThat(audits)
          .filteredOn(a -> a.getDecision() == Decision.DEADLINE_FIRED)
          .extracting(AuditRecord::getSessionId)
          .as("one DEADLINE_FIRED audit per session")
          .containsExactlyInAnyOrderElementsOf(sessions);
      List<String> audited =
          audits.stream()
              .filter(a -> a.getInput() != null)
              .map(
                  a ->
                      a.getInput().getTopic()
                          + "/"
                          + a.getInput().getPartition()
                          + "@"
                          + a.getInput().getOffset())
              .toList();
      assertThat(audited).as("one audit per input").doesNotHaveDuplicates().hasSize(inputs);
    }
  }

  /**
   * Waits for timer records of {@code ids} that a read_uncommitted reader sees above the last
   * stable offset, then fences every transactional producer of the application.
   */
  private static Fence fenceWhilePending(
      int round,
      Deployment d,
      Admin admin,
      TimerReader uncommitted,
      TimerReader committed,
      Set<String> ids)
      throws Exception {
    Set<TimerSeen> pending = new HashSet<>();
    long end = System.nanoTime() + WAIT.toNanos();
    while (pending.isEmpty()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("Expected uncommitted timer records for round " + round);
      }
      List<TimerSeen> seen =
          uncommitted.poll().stream().filter(t -> ids.contains(t.sessionId())).toList();
      if (seen.isEmpty()) {
        continue;
      }
      Map<TopicPartition, Long> stable = committed.endOffsets();
      seen.stream().filter(t -> t.offset() >= stable.get(t.partition())).forEach(pending::add);
      if (pending.isEmpty()) {
        LOG.info("Round {}: timers {} already committed (LSO {}); waiting", round, seen, stable);
      }
    }
    List<String> txIds =
        admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
            .map(TransactionListing::transactionalId)
            .filter(id -> id.startsWith(d.appId + "-"))
            .toList();
    assertThat(txIds).as("transactional ids of " + d.appId).isNotEmpty();
    Map<String, TransactionDescription> before =
        admin.describeTransactions(txIds).all().get(30, TimeUnit.SECONDS);
    for (String txId : txIds) {
      fence(d, txId);
    }
    LOG.info(
        "Round {}: fenced {} ({}) while {} timer records of the round were uncommitted",
        round,
        txIds,
        before.values().stream().map(t -> t.state() + " " + t.topicPartitions()).toList(),
        pending.size());
    return new Fence(round, pending);
  }

  /** What a second instance with the same transactional id does: abort and bump the epoch. */
  private static void fence(Deployment d, String transactionalId) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, d.infra.bootstrapServers());
    c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
      p.initTransactions();
    }
  }

  private static void awaitBackouts(Deployment d, List<String> ids) {
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(d.readAll(d.topics.backouts(), Backout.class))
                    .extracting(Backout::getSessionId)
                    .containsAll(ids));
  }

  /** All transitions once there are {@code n} and nothing new came for two commit intervals. */
  private static List<Transition> awaitQuiet(Deployment d, int n) {
    List<List<Transition>> last = new ArrayList<>(List.of(List.of()));
    AtomicInteger stable = new AtomicInteger();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
              boolean same = ts.size() >= n && ts.size() == last.get(0).size();
              last.set(0, ts);
              return same && stable.incrementAndGet() >= 5;
            });
    return last.get(0);
  }

  /** Each deadline the timer records carry (a batch carries several: decision 0023). */
  private static List<TimerSeen> timersIn(List<ConsumerRecord<String, Object>> records) {
    List<TimerSeen> out = new ArrayList<>();
    for (ConsumerRecord<String, Object> r : records) {
      if (r.value() instanceof ProtocolEvent e && TimerRecords.isTimer(e)) {
        Object timers = TimerRecords.read(e);
        List<String> ids =
            timers instanceof EngineProcessor.TimersDue b
                ? b.due().stream().map(TimerRecords.Due::sessionId).toList()
                : List.of(r.key());
        for (String id : ids) {
          out.add(new TimerSeen(id, new TopicPartition(r.topic(), r.partition()), r.offset()));
        }
      }
    }
    return out;
  }

  /** Reads the events topic from its start with one isolation level and keeps its position. */
  private static final class TimerReader implements AutoCloseable {
    private final KafkaConsumer<String, Object> consumer;
    private final List<TopicPartition> partitions;

    TimerReader(Deployment d, String isolation) {
      Map<String, Object> c = d.infra.clientConfig();
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put("apicurio.registry.use-specific-avro-reader", "true");
      AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
      values.configure(c, false);
      consumer = new KafkaConsumer<>(c, new StringDeserializer(), values);
      String topic = d.topics.events();
      partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    List<TimerSeen> poll() {
      List<ConsumerRecord<String, Object>> records = new ArrayList<>();
      consumer.poll(Duration.ofMillis(50)).forEach(records::add);
      return timersIn(records);
    }

    /** For a read_committed reader: the last stable offset of each partition. */
    Map<TopicPartition, Long> endOffsets() {
      return consumer.endOffsets(partitions);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /**
   * Samples the state and the stream threads of one running instance: a crash would show as ERROR
   * or a shutdown, a failed and replaced stream thread as a new thread name.
   */
  private static final class Liveness {
    final Map<KafkaStreams.State, Boolean> states = new ConcurrentHashMap<>();
    final Set<String> threadsAtStart;
    final Set<String> threadsSeen = ConcurrentHashMap.newKeySet();
    final AtomicInteger rebalances = new AtomicInteger();
    private final Thread sampler;
    private volatile boolean running = true;

    private Liveness(StatewardenApp app) {
      threadsAtStart = threadNames(app);
      threadsSeen.addAll(threadsAtStart);
      sampler =
          new Thread(
              () -> {
                KafkaStreams.State previous = KafkaStreams.State.RUNNING;
                while (running) {
                  KafkaStreams.State s = app.streams().state();
                  states.put(s, true);
                  if (s == KafkaStreams.State.REBALANCING && previous != s) {
                    rebalances.incrementAndGet();
                  }
                  previous = s;
                  if (s.isRunningOrRebalancing()) {
                    threadsSeen.addAll(threadNames(app));
                  }
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "liveness-sampler");
      sampler.setDaemon(true);
    }

    static Liveness watch(StatewardenApp app) {
      Liveness l = new Liveness(app);
      l.sampler.start();
      return l;
    }

    void stop() throws InterruptedException {
      assertThat(sampler.isAlive()).as("the liveness sampler ran throughout").isTrue();
      running = false;
      sampler.join(5_000);
    }

    private static Set<String> threadNames(StatewardenApp app) {
      return app.streams().metadataForLocalThreads().stream()
          .map(ThreadMetadata::threadName)
          .collect(Collectors.toCollection(HashSet::new));
    }
  }
}
