package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.metrics.MetricsTest;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.Test;

/**
 * The processor's rules, each forced at the interleaving that would break it, through {@link
 * TaskHarness} (the real processor and store, a transaction per step, driven wall-clock time).
 */
class EngineProcessorTest {
  static final long T = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  /** Only a whole-session deadline: moves never change the due time. */
  static final String RELAY =
      """
      protocol: relay
      version: 1
      initial: A
      start: [Open]
      sessionTimeout: {after: 10s, to: TIMED_OUT}
      states:
        A:
          on:
            Step: B
        B:
          on:
            Step: A
            Done: DONE
        DONE: {final: COMPLETED}
        TIMED_OUT: {final: BACKED_OUT}
      """;

  static Engine engine(String yaml) {
    try {
      ProtocolCatalog c = new ProtocolCatalog();
      c.add(new ProtocolLoader().load("test.yaml", yaml));
      return new Engine(c, EngineConfig.DEFAULTS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Event ev(String session, String id, String type, long t) {
    return Event.of(session, id, "relay", type, t);
  }

  final TaskHarness task = new TaskHarness(engine(RELAY), 1000, T);

  void drain() {
    while (task.deliver()) {}
  }

  long deadlinesFired(String session) {
    return task.audits.stream()
        .filter(a -> a.getSessionId().equals(session))
        .filter(a -> a.getDecision() == Decision.DEADLINE_FIRED)
        .count();
  }

  @Test
  void shouldFireADeadlineWhoseTimerAnEventOvertookWithoutMovingTheDueTime() {
    task.produce(ev("s", "e1", "Open", T));
    drain(); // due T+10s
    task.punctuate(T + 10_500); // timer for T+10s logged, the entry left the index
    assertThat(task.timersWritten).isEqualTo(1);
    // a step stamped before the deadline was produced before the timer, read after its punctuation
    task.log.add(
        task.log.size() - 1,
        new TaskHarness.Logged("s", ev("s", "e2", "Step", T + 9_900), T + 9_900));

    drain();
    for (long t = T + 11_000; t < T + 3_600_000; t += 60_000) {
      task.punctuate(t);
      drain();
    }

    assertThat(task.transitions)
        .extracting(Transition::getTo)
        .containsExactly("A", "B", "TIMED_OUT");
    assertThat(task.transitions.get(2).getTrigger()).isEqualTo(Trigger.SESSION_TIMEOUT);
    assertThat(deadlinesFired("s")).isEqualTo(1);
  }

  @Test
  void shouldCountEachFiredDeadlineInTheWallClockMinuteItTookEffect() {
    // given three sessions due at T+10s, and one that ends before its deadline
    for (String id : new String[] {"s1", "s2", "s3", "done"}) {
      task.produce(ev(id, "e1", "Open", T));
    }
    task.produce(ev("done", "e2", "Step", T + 1));
    task.produce(ev("done", "e3", "Done", T + 2));
    drain();

    // when the wall clock reaches T+70s (a minute late) and the timers are read back
    task.punctuate(T + 70_000);
    drain();

    // then three fires in the minute starting at T+60s, the latest 60 s after its deadline
    var minutes = task.metrics.firesLastHour(T + 70_000);
    assertThat(minutes.get(59).start()).isEqualTo(T + 60_000);
    assertThat(minutes.get(59).fired()).isEqualTo(3);
    assertThat(minutes.get(59).maxLatenessMs()).isEqualTo(60_000);
    assertThat(minutes.stream().mapToLong(m -> m.fired()).sum()).isEqualTo(3);
  }

  @Test
  void shouldAbortAndRetryNotDeadLetterWhenForwardingAnOutputFails() {
    task.produce(ev("s", "e1", "Open", T));
    task.produce(ev("s", "e2", "Step", T + 1));
    drain();
    task.produce(ev("s", "e3", "Step", T + 2));
    task.failNextForward = true; // a serializer failure, e.g. the registry unreachable

    assertThat(task.deliver()).isTrue();
    assertThat(task.aborts).isEqualTo(1);
    assertThat(task.readPos).as("the input is read again").isEqualTo(2);
    drain();

    assertThat(task.deadLetters).isEmpty();
    assertThat(task.transitions).extracting(Transition::getSeq).containsExactly(1L, 2L, 3L);
    assertThat(task.audits).extracting(AuditRecord::getEventId).containsExactly("e1", "e2", "e3");
  }

  @Test
  void shouldAbortAndRetryNotDeadLetterWhenTheStoreWriteFails() {
    task.produce(ev("s", "e1", "Open", T));
    task.failNextPut = true;

    drain();

    assertThat(task.aborts).isEqualTo(1);
    assertThat(task.deadLetters).isEmpty();
    assertThat(task.transitions).extracting(Transition::getSeq).containsExactly(1L);
    assertThat(task.audits).hasSize(1);
  }

  @Test
  void shouldLogTheTimerAgainWhenTheTransactionCarryingItAborts() {
    task.produce(ev("s", "e1", "Open", T));
    drain();
    task.failNextForward = true;

    task.punctuate(T + 10_500); // the timer's forward fails: the transaction aborts

    assertThat(task.timersWritten).isZero();
    assertThat(task.pendingDeadlines()).as("rebuilt index has the entry again").isEqualTo(1);
    task.punctuate(T + 10_600);
    drain();
    assertThat(deadlinesFired("s")).isEqualTo(1);
  }

  @Test
  void shouldHoldTimersUntilTheTaskHasReadTheInputWaitingAtItsStart() {
    task.produce(ev("s", "e1", "Open", T));
    drain();
    task.produce(ev("s", "e2", "Step", T + 9_000)); // in time, but read only after a restart
    task.restart();

    task.punctuate(T + 20_000);
    assertThat(task.timersWritten).as("backlog unread: no timer yet").isZero();
    drain();
    task.punctuate(T + 20_100);
    drain();

    assertThat(task.transitions)
        .extracting(Transition::getTo)
        .containsExactly("A", "B", "TIMED_OUT");
    assertThat(task.transitions.get(1).getEventId()).isEqualTo("e2");
  }

  @Test
  void shouldQuarantineAnUndecodableStoredSessionAndRunTheRestOfTheTask() {
    task.produce(ev("good", "e1", "Open", T));
    drain();
    task.storeRaw("broken", "not a session".getBytes(StandardCharsets.UTF_8)); // restarts the task

    task.punctuate(T + 10_500);
    drain();

    assertThat(task.deadLetters).hasSize(1);
    Headers h = task.deadLetters.get(0).headers();
    assertThat(new String(h.lastHeader(DecodeProcessor.H_ERROR).value(), StandardCharsets.UTF_8))
        .startsWith("stored session broken cannot be decoded");
    assertThat(task.stored("broken")).as("moved out of the store").isFalse();
    assertThat(deadlinesFired("good")).as("the rest of the task runs").isEqualTo(1);
    assertThat(
            MetricsTest.value(
                MetricsTest.scrape(task.metrics), "statewarden_sessions_quarantined_total"))
        .isEqualTo(1);
    task.restart();
    task.punctuate(T + 20_000);
    assertThat(task.deadLetters).as("quarantined once").hasSize(1);
  }
}
