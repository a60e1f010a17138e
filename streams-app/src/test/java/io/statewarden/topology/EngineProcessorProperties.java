package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Event;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Transition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

/**
 * A randomized interleaving model check of the engine's task: random schedules of events produced
 * in and out of timestamp order, reads that lag behind (so events slip ahead of timer records),
 * punctuations at random wall-clock times, task restarts, and store and forward failures that abort
 * a step's transaction. Then the clock runs on until nothing is left to fire. Against a reference
 * model of the protocol rules applied to the log as the task read it:
 *
 * <ul>
 *   <li>every transition is the reference's (same states, triggers, events, gapless seq);
 *   <li>no deadline is lost: every session ends (each has a whole-session timeout);
 *   <li>none fires twice: one DEADLINE_FIRED audit per deadline the reference fires;
 *   <li>exactly one audit per input event, and no dead letter.
 * </ul>
 */
class EngineProcessorProperties {
  static final long T = EngineProcessorTest.T;

  static final String MODEL =
      """
      protocol: m
      version: 1
      initial: A
      start: [Open]
      sessionTimeout: {after: 10s, to: TIMED_OUT}
      states:
        A:
          timeout: {after: 3s, to: STALLED}
          on:
            Step: B
            Stay: A
        B:
          on:
            Step: C
            Done: DONE
        C:
          on:
            Step: B
            Back: A
            Done: DONE
        DONE: {final: COMPLETED}
        STALLED: {final: BACKED_OUT}
        TIMED_OUT: {final: BACKED_OUT}
      """;

  static final io.statewarden.engine.Engine ENGINE = EngineProcessorTest.engine(MODEL);

  sealed interface Action {}

  record Produce(int session, String type, long offsetMs) implements Action {}

  record Read(int n) implements Action {}

  record Tick(long advanceMs) implements Action {}

  record Restart() implements Action {}

  record FailForward() implements Action {}

  record FailPut() implements Action {}

  @Provide
  Arbitrary<List<Action>> schedules() {
    Arbitrary<Action> produce =
        Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.of("Open", "Open", "Step", "Step", "Stay", "Back", "Done"),
                Arbitraries.longs().between(-4_000, 1_000))
            .as(Produce::new);
    Arbitrary<Action> read = Arbitraries.integers().between(1, 4).map(Read::new);
    Arbitrary<Action> tick = Arbitraries.longs().between(0, 4_000).map(Tick::new);
    Arbitrary<Action> action =
        Arbitraries.frequencyOf(
            Tuple.of(6, produce),
            Tuple.of(5, read),
            Tuple.of(4, tick),
            Tuple.of(1, Arbitraries.just(new Restart())),
            Tuple.of(1, Arbitraries.just(new FailForward())),
            Tuple.of(1, Arbitraries.just(new FailPut())));
    return action.list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 1000, shrinking = ShrinkingMode.FULL)
  void noDeadlineIsLostOrFiredTwiceAndEveryInputIsAuditedOnce(
      @ForAll("schedules") List<Action> schedule, @ForAll boolean batchOfOne) {
    TaskHarness task = new TaskHarness(ENGINE, batchOfOne ? 1 : 1000, T);
    int ids = 0;
    for (Action a : schedule) {
      if (a instanceof Produce p) {
        task.produce(
            Event.of("s" + p.session(), "e" + ids++, "m", p.type(), task.wallClock + p.offsetMs()));
      } else if (a instanceof Read r) {
        for (int i = 0; i < r.n(); i++) task.deliver();
      } else if (a instanceof Tick t) {
        task.punctuate(task.wallClock + t.advanceMs());
      } else if (a instanceof Restart) {
        task.restart();
      } else if (a instanceof FailForward) {
        task.failNextForward = true;
      } else if (a instanceof FailPut) {
        task.failNextPut = true;
      }
    }
    // the clock runs on (far short of the final sessions' purge) until a round logs no timer
    for (int round = 0; round < 200; round++) {
      int logged = task.timersWritten;
      int read = task.readPos;
      int aborts = task.aborts;
      task.punctuate(task.wallClock + 15_000);
      while (task.deliver()) {}
      if (logged == task.timersWritten && read == task.readPos && aborts == task.aborts) break;
    }
    assertThat(task.hasUnread()).isFalse();

    Reference ref = new Reference();
    for (TaskHarness.Logged r : task.log) {
      ref.apply(r);
    }
    Map<String, List<String>> actual = new LinkedHashMap<>();
    for (Transition t : task.transitions) {
      actual
          .computeIfAbsent(t.getSessionId(), k -> new ArrayList<>())
          .add(t.getSeq() + " " + t.getTo() + " " + t.getTrigger() + " " + t.getEventId());
    }
    assertThat(actual).as("transitions against the reference model").isEqualTo(ref.transitions);
    ref.sessions.forEach(
        (id, s) -> assertThat(s.isFinal()).as("session %s ended: no deadline lost", id).isTrue());
    Map<String, Long> fired =
        task.audits.stream()
            .filter(x -> x.getDecision() == Decision.DEADLINE_FIRED)
            .collect(Collectors.groupingBy(AuditRecord::getSessionId, Collectors.counting()));
    assertThat(fired).as("one DEADLINE_FIRED audit per fired deadline").isEqualTo(ref.fired);
    Map<String, Long> perEvent =
        task.audits.stream()
            .filter(x -> x.getDecision() != Decision.DEADLINE_FIRED)
            .collect(Collectors.groupingBy(AuditRecord::getEventId, Collectors.counting()));
    assertThat(perEvent)
        .as("one audit per input")
        .hasSize(ids)
        .allSatisfy((k, n) -> assertThat(n).isOne());
    assertThat(task.deadLetters).isEmpty();
  }

  /**
   * A log with batched timers gives exactly the outputs, in the same order, of that log with each
   * batch written out as one single timer record per deadline (the per-session path of earlier
   * versions): the batch fires its deadlines in its order, each as its own record would.
   */
  @Property(tries = 300, shrinking = ShrinkingMode.FULL)
  void aBatchOfTimersFiresAsItsSingleTimerRecordsWould(@ForAll("schedules") List<Action> schedule) {
    TaskHarness live = new TaskHarness(ENGINE, 1000, T);
    int ids = 0;
    for (Action a : schedule) {
      if (a instanceof Produce p) {
        live.produce(
            Event.of("s" + p.session(), "e" + ids++, "m", p.type(), live.wallClock + p.offsetMs()));
      } else if (a instanceof Read r) {
        for (int i = 0; i < r.n(); i++) live.deliver();
      } else if (a instanceof Tick t) {
        live.punctuate(live.wallClock + t.advanceMs());
      }
    }
    for (int round = 0; round < 20; round++) {
      live.punctuate(live.wallClock + 15_000);
      while (live.deliver()) {}
    }

    TaskHarness batched = replay(live.log, false);
    TaskHarness single = replay(live.log, true);
    assertThat(batched.transitions).isEqualTo(single.transitions);
    assertThat(batched.audits).isEqualTo(single.audits);
    assertThat(batched.backouts).isEqualTo(single.backouts);
    assertThat(batched.deadLetters).isEmpty();
  }

  /** A fresh task that reads {@code log} through, with no punctuation (as a replay does). */
  static TaskHarness replay(List<TaskHarness.Logged> log, boolean asSingleTimers) {
    TaskHarness r = new TaskHarness(ENGINE, 1000, T);
    for (TaskHarness.Logged l : log) {
      if (asSingleTimers && l.value() instanceof EngineProcessor.TimersDue b) {
        for (TimerRecords.Due d : b.due()) {
          r.log.add(
              new TaskHarness.Logged(
                  d.sessionId(),
                  new EngineProcessor.TimerDue(d.deadline(), d.seq()),
                  d.deadline()));
        }
      } else {
        r.log.add(l);
      }
    }
    while (r.deliver()) {}
    return r;
  }

  /** The protocol's rules written out for this one protocol, independent of the engine. */
  static final class Reference {
    static final long NONE = Long.MIN_VALUE;

    static final class S {
      String state;
      long seq;
      long stateDeadline = NONE;
      long sessionDeadline = NONE;

      boolean isFinal() {
        return !state.equals("A") && !state.equals("B") && !state.equals("C");
      }

      long next() {
        if (stateDeadline == NONE) return sessionDeadline;
        if (sessionDeadline == NONE) return stateDeadline;
        return Math.min(stateDeadline, sessionDeadline);
      }
    }

    final Map<String, S> sessions = new HashMap<>();
    final Map<String, List<String>> transitions = new LinkedHashMap<>();
    final Map<String, Long> fired = new HashMap<>();

    void apply(TaskHarness.Logged r) {
      if (r.value() instanceof EngineProcessor.TimersDue b) {
        for (TimerRecords.Due d : b.due()) {
          apply(
              new TaskHarness.Logged(
                  d.sessionId(),
                  new EngineProcessor.TimerDue(d.deadline(), d.seq()),
                  d.deadline()));
        }
        return;
      }
      S s = sessions.get(r.key());
      if (r.value() instanceof EngineProcessor.TimerDue t) {
        if (s != null && !s.isFinal() && s.next() != NONE && s.next() <= t.deadline()) {
          fireUpTo(r.key(), s, t.deadline());
        }
        return;
      }
      Event e = (Event) r.value();
      if (s == null) {
        if (e.type().equals("Open")) {
          s = new S();
          sessions.put(e.sessionId(), s);
          s.sessionDeadline = e.timestamp() + 10_000;
          enter(e.sessionId(), s, "A", "EVENT", e.eventId(), e.timestamp());
        }
        return;
      }
      if (!s.isFinal() && s.next() != NONE && s.next() <= e.timestamp()) {
        fireUpTo(e.sessionId(), s, e.timestamp());
      }
      if (s.isFinal()) {
        return;
      }
      String to =
          switch (s.state + " " + e.type()) {
            case "A Step", "C Step" -> "B";
            case "B Step" -> "C";
            case "A Stay", "C Back" -> "A";
            case "B Done", "C Done" -> "DONE";
            default -> null;
          };
      if (to != null) {
        enter(e.sessionId(), s, to, "EVENT", e.eventId(), e.timestamp());
      }
    }

    private void fireUpTo(String id, S s, long upTo) {
      while (!s.isFinal() && s.next() != NONE && s.next() <= upTo) {
        fired.merge(id, 1L, Long::sum);
        if (s.sessionDeadline != NONE && s.sessionDeadline <= s.next()) {
          long at = s.sessionDeadline;
          enter(id, s, "TIMED_OUT", "SESSION_TIMEOUT", null, at);
        } else {
          long at = s.stateDeadline;
          enter(id, s, "STALLED", "TIMEOUT", null, at);
        }
      }
    }

    private void enter(String id, S s, String to, String trigger, String eventId, long at) {
      s.state = to;
      s.seq++;
      s.stateDeadline = to.equals("A") ? at + 3_000 : NONE;
      if (s.isFinal()) s.sessionDeadline = NONE;
      transitions
          .computeIfAbsent(id, k -> new ArrayList<>())
          .add(s.seq + " " + to + " " + trigger + " " + eventId);
    }
  }
}
