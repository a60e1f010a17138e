package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Event;
import io.statewarden.engine.Migration;
import io.statewarden.engine.Session;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * A migration against random schedules (docs/decisions/0018): the sessions' events logged between
 * its chunks, the same migration logged again, reads in random batches, task restarts and chunks
 * whose transaction aborts. Whatever the schedule: no session migrates twice, every session that is
 * live at the end is on the new version, a final one is never migrated, and the progress counts
 * what happened.
 */
class MigrationProperties {
  static final long T = MigrationTaskTest.T;

  sealed interface Action {}

  record Send(int session, String type) implements Action {}

  record Again() implements Action {}

  record Read(int n) implements Action {}

  record Restart() implements Action {}

  record FailForward() implements Action {}

  record FailPut() implements Action {}

  @Provide
  Arbitrary<List<Action>> schedules() {
    Arbitrary<Action> send =
        Arbitraries.integers()
            .between(0, 29)
            .flatMap(s -> Arbitraries.of("Go", "Done").map(t -> (Action) new Send(s, t)));
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, send),
            net.jqwik.api.Tuple.of(1, Arbitraries.just((Action) new Again())),
            net.jqwik.api.Tuple.of(
                5, Arbitraries.integers().between(1, 4).map(n -> (Action) new Read(n))),
            net.jqwik.api.Tuple.of(1, Arbitraries.just((Action) new Restart())),
            net.jqwik.api.Tuple.of(1, Arbitraries.just((Action) new FailForward())),
            net.jqwik.api.Tuple.of(1, Arbitraries.just((Action) new FailPut())))
        .list()
        .ofMaxSize(60);
  }

  @Property(tries = 200)
  void shouldMigrateEachLiveSessionExactlyOnceWhateverTheSchedule(
      @ForAll @IntRange(min = 1, max = 30) int sessions,
      @ForAll @IntRange(min = 1, max = 7) int chunkSize,
      @ForAll("schedules") List<Action> schedule) {
    // given
    TaskHarness task = new TaskHarness(MigrationTaskTest.engine(), 1000, T);
    for (int i = 0; i < sessions; i++) {
      task.produce(Event.of("s" + i, "open" + i, "mig", "Open", T + i).withVersion(1));
    }
    while (task.deliver()) {}
    Migration m =
        new Migration(
            "m1",
            "alice",
            "r",
            "mig",
            1,
            2,
            Map.of("A", "A2"),
            Set.of(),
            Set.of(),
            sessions,
            chunkSize,
            0,
            0,
            T + 1_000,
            null);
    task.produce(m);

    // when
    int sent = 0;
    for (Action a : schedule) {
      if (a instanceof Send s && s.session() < sessions) {
        task.produce(Event.of("s" + s.session(), "e" + sent++, "mig", s.type(), T + 2_000 + sent));
      } else if (a instanceof Again) {
        task.produce(m);
      } else if (a instanceof Read r) {
        for (int i = 0; i < r.n(); i++) task.deliver();
      } else if (a instanceof Restart) {
        task.restart();
      } else if (a instanceof FailForward) {
        task.failNextForward = true;
      } else if (a instanceof FailPut) {
        task.failNextPut = true;
      }
    }
    task.failNextForward = false;
    task.failNextPut = false;
    while (task.deliver()) {}

    // then
    Map<String, Integer> migrated = new HashMap<>();
    for (Transition t : task.transitions) {
      if ("m1".equals(t.getEventId()) && t.getTrigger() == Trigger.OPERATOR) {
        migrated.merge(t.getSessionId(), 1, Integer::sum);
      }
    }
    assertThat(migrated.values()).allSatisfy(n -> assertThat(n).isEqualTo(1));
    for (int i = 0; i < sessions; i++) {
      Session s = task.session("s" + i);
      if (!s.isFinal()) {
        assertThat(s.version()).as("s%d live at the end", i).isEqualTo(2);
      }
      if (s.version() == 1) {
        assertThat(migrated).doesNotContainKey("s" + i);
      }
    }
    assertThat(task.progress("m1").done()).isTrue();
    assertThat(task.progress("m1").migrated()).isEqualTo(migrated.size());
    assertThat(task.deadLetters).isEmpty();
  }
}
