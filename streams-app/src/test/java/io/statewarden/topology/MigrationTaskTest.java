package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.engine.Migration;
import io.statewarden.engine.MigrationsTestAccess;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A migration through the real engine processor, one transaction per record (docs/decisions/0018):
 * chunked through continuation records in the partition, racing the sessions' events in log order,
 * exactly once per session when the same request is logged twice or a chunk's transaction aborts.
 */
class MigrationTaskTest {
  static final long T = 1_700_000_000_000L;
  static final int N = 25;

  static Engine engine() {
    try {
      ProtocolCatalog c = new ProtocolCatalog();
      c.add(new ProtocolLoader().load("v1.yaml", MigrationsTestAccess.V1));
      c.add(new ProtocolLoader().load("v2.yaml", MigrationsTestAccess.V2));
      c.add(new ProtocolLoader().load("dl1.yaml", MigrationsTestAccess.DL1));
      c.add(new ProtocolLoader().load("dl2.yaml", MigrationsTestAccess.DL2));
      return new Engine(c, EngineConfig.DEFAULTS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  final TaskHarness task = new TaskHarness(engine(), 1000, T);

  static Migration migration(String id, int chunkSize) {
    return new Migration(
        id,
        "alice",
        "v2 takes over",
        "mig",
        1,
        2,
        Map.of("A", "A2"),
        Set.of(),
        Set.of(),
        N,
        chunkSize,
        0,
        0,
        T + 1_000,
        null);
  }

  void openSessions() {
    for (int i = 0; i < N; i++) {
      task.produce(Event.of("s" + i, "open" + i, "mig", "Open", T + i).withVersion(1));
    }
    while (task.deliver()) {}
  }

  /** Per session, the transitions the migration {@code id} caused. */
  Map<String, Long> migratedBy(String id) {
    Map<String, Long> n = new TreeMap<>();
    for (Transition t : task.transitions) {
      if (id.equals(t.getEventId()) && t.getTrigger() == Trigger.OPERATOR) {
        n.merge(t.getSessionId(), 1L, Long::sum);
      }
    }
    return n;
  }

  @Test
  void shouldMigrateEverySessionOnceInChunksWrittenBackToThePartition() {
    // given
    openSessions();

    // when
    task.produce(migration("m1", 10));
    while (task.deliver()) {}

    // then: chunks of 10, 10, 5, through two continuation records
    assertThat(task.migrationsWritten).isEqualTo(2);
    assertThat(migratedBy("m1")).hasSize(N).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    for (int i = 0; i < N; i++) {
      assertThat(task.session("s" + i).version()).isEqualTo(2);
      assertThat(task.session("s" + i).state()).isEqualTo("A2");
    }
    assertThat(task.progress("m1").done()).isTrue();
    assertThat(task.progress("m1").migrated()).isEqualTo(N);
    assertThat(task.progress("m1").chunk()).isEqualTo(2);
  }

  @Test
  void shouldDecideEventsRacingTheMigrationInLogOrder() {
    // given the first chunk applied, then every session's next event logged before the next chunk
    openSessions();
    task.produce(migration("m1", 10));
    task.deliver();
    for (int i = 0; i < N; i++) {
      task.produce(Event.of("s" + i, "go" + i, "mig", "Go", T + 2_000));
    }

    // when
    while (task.deliver()) {}

    // then: each session took Go once (under v2 or v1) and was migrated once, ending on v2 in B
    assertThat(migratedBy("m1")).hasSize(N).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    for (int i = 0; i < N; i++) {
      assertThat(task.session("s" + i).version()).isEqualTo(2);
      assertThat(task.session("s" + i).state()).isEqualTo("B");
    }
    List<Transition> gos =
        task.transitions.stream().filter(t -> t.getEventId().startsWith("go")).toList();
    assertThat(gos).hasSize(N);
    // the log was: migration, its first continuation (written by the first chunk), the Go events,
    // the second continuation: the first two chunks' 20 took Go under v2 (from A2), the last 5
    // under v1 (from A), then migrated from B
    assertThat(gos.stream().filter(t -> "A2".equals(t.getFrom())).count()).isEqualTo(20);
    assertThat(gos.stream().filter(t -> "A".equals(t.getFrom())).count()).isEqualTo(N - 20);
  }

  @Test
  void shouldApplyTheSameMigrationIdOnceWhenItIsLoggedTwice() {
    // given
    openSessions();

    // when the API logs the same migration twice, around the first continuation
    task.produce(migration("m1", 10));
    task.deliver();
    task.produce(migration("m1", 10));
    while (task.deliver()) {}

    // then
    assertThat(migratedBy("m1")).hasSize(N).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    assertThat(task.progress("m1").migrated()).isEqualTo(N);
  }

  @Test
  void shouldIgnoreTheSameMigrationIdLoggedAgainAfterItFinished() {
    // given m1 done, then a new session created on v1
    openSessions();
    task.produce(migration("m1", 10));
    while (task.deliver()) {}
    task.produce(Event.of("late", "open-late", "mig", "Open", T + 5_000).withVersion(1));

    // when the same request is logged again
    task.produce(migration("m1", 10));
    while (task.deliver()) {}

    // then it applied once: the new session is not migrated by it
    assertThat(task.session("late").version()).isEqualTo(1);
    assertThat(migratedBy("m1")).hasSize(N);
  }

  @Test
  void shouldResumeFromTheLastCommittedChunkWhenAChunkAborts() {
    // given
    openSessions();
    task.produce(migration("m1", 10));
    task.deliver();

    // when the second chunk's transaction aborts half way (a forward fails) and is read again
    task.failNextForward = true;
    while (task.deliver()) {}

    // then
    assertThat(task.aborts).isEqualTo(1);
    assertThat(migratedBy("m1")).hasSize(N).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    assertThat(task.progress("m1").done()).isTrue();
  }

  @Test
  void shouldNotMigrateFinalSessionsOrSessionsOutsideTheSelection() {
    // given s0 completed, the others in A or B
    openSessions();
    task.produce(Event.of("s0", "go0", "mig", "Go", T + 100));
    task.produce(Event.of("s0", "done0", "mig", "Done", T + 200));
    task.produce(Event.of("s1", "go1", "mig", "Go", T + 100));
    while (task.deliver()) {}

    // when only sessions in B are selected
    Migration onlyB =
        new Migration(
            "m2",
            "alice",
            "r",
            "mig",
            1,
            2,
            Map.of(),
            Set.of("B"),
            Set.of(),
            1,
            10,
            0,
            0,
            T + 1_000,
            null);
    task.produce(onlyB);
    while (task.deliver()) {}

    // then only s1 moved
    assertThat(migratedBy("m2")).containsOnlyKeys("s1");
    assertThat(task.session("s0").version()).isEqualTo(1);
    assertThat(task.session("s2").version()).isEqualTo(1);
  }

  /** Delivers what the partition holds, at most {@code n} records (a failing one is read again). */
  void deliverAtMost(int n) {
    for (int i = 0; i < n && task.deliver(); i++) {}
  }

  @Test
  void shouldFinishTheChunkWhenADueDeadlineMovesASelectedSessionIntoAStateTheTargetLacks() {
    // given dl sessions in A (selected) whose deadline (10s) moves them to X, which v2 lacks
    for (int i = 0; i < 3; i++) {
      task.produce(Event.of("d" + i, "open" + i, "dl", "Open", T).withVersion(1));
    }
    while (task.deliver()) {}

    // when the migration of A is read after the deadline, before any punctuation fired it
    task.produce(MigrationsTestAccess.onlyA("m1", T + 20_000));
    deliverAtMost(20);

    // then the chunk committed: the deadlines fired under v1, nobody migrated, nobody refused
    assertThat(task.aborts).isZero();
    assertThat(task.hasUnread()).isFalse();
    assertThat(task.progress("m1").done()).isTrue();
    assertThat(task.progress("m1").migrated()).isZero();
    assertThat(task.progress("m1").refused()).isZero();
    for (int i = 0; i < 3; i++) {
      assertThat(task.session("d" + i).state()).isEqualTo("X");
      assertThat(task.session("d" + i).version()).isEqualTo(1);
    }
  }

  @Test
  void shouldNotCountASessionThatADueDeadlineEndedAsRefused() {
    // given s0 in B, the others in A whose deadline (10s) ends them (GONE, final)
    openSessions();
    task.produce(Event.of("s0", "go0", "mig", "Go", T + 100));
    while (task.deliver()) {}
    Migration late =
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
            N,
            100,
            0,
            0,
            T + 20_000,
            null);

    // when
    task.produce(late);
    while (task.deliver()) {}

    // then one migrated, none refused (no REJECTED audit: the others timed out under v1)
    assertThat(task.progress("m1").migrated()).isEqualTo(1);
    assertThat(task.progress("m1").refused()).isZero();
    assertThat(task.session("s1").isFinal()).isTrue();
  }

  @Test
  void shouldMarkThePartitionDoneAndFailedWhenItDeadLettersTheMigration() {
    // given a migration to a version this instance has not loaded
    openSessions();
    Migration toV3 =
        new Migration(
            "m3", "alice", "r", "mig", 1, 3, Map.of(), Set.of(), Set.of(), N, 10, 0, 0, T + 1_000,
            null);

    // when
    task.produce(toV3);
    while (task.deliver()) {}

    // then it is dead-lettered, and the partition's progress says done and failed
    assertThat(task.deadLetters).hasSize(1);
    assertThat(task.progress("m3").done()).isTrue();
    assertThat(task.progress("m3").failed()).isTrue();
    assertThat(task.progress("m3").migrated()).isZero();
    assertThat(task.session("s0").version()).isEqualTo(1);
  }

  @Test
  void shouldReadTheTotalBackAsALong() {
    // given a total beyond an int
    Migration m =
        new Migration(
            "m1",
            "alice",
            "r",
            "mig",
            1,
            2,
            Map.of(),
            Set.of(),
            Set.of(),
            5_000_000_000L,
            10,
            0,
            0,
            T,
            null);

    // then
    assertThat(MigrationRecords.read(MigrationRecords.of(m), T, null).total())
        .isEqualTo(5_000_000_000L);
  }

  @Test
  void shouldReadAProgressWrittenBeforeFailedExistedAsNotFailed() {
    assertThat(
            io.statewarden.state.MigrationProgress.decode(
                "2,10,1,true,25".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isEqualTo(new io.statewarden.state.MigrationProgress(2, 10, 1, true, 25, false));
  }
}
