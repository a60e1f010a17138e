package io.statewarden.engine;

import static io.statewarden.engine.EngineTest.audit;
import static io.statewarden.engine.EngineTest.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Protocol;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One session's part of a migration (docs/decisions/0018), and the check before it starts. */
class MigrationsTest {
  /** v1: A (timeout 10s) -> B; v2 renames A to A2 (timeout 20s) and adds C; session timeout 1h. */
  static final String V1 =
      """
      protocol: mig
      version: 1
      initial: A
      start: [Open]
      sessionTimeout: {after: 100s, to: GONE}
      states:
        A:
          timeout: {after: 10s, to: GONE}
          on:
            Go: B
        B:
          on:
            Done: DONE
        DONE: {final: COMPLETED}
        GONE: {final: BACKED_OUT}
      """;

  static final String V2 =
      """
      protocol: mig
      version: 2
      initial: A2
      start: [Open]
      sessionTimeout: {after: 1h, to: GONE}
      states:
        A2:
          timeout: {after: 20s, to: GONE}
          on:
            Go: B
        B:
          on:
            Done: C
        C:
          on:
            Done: DONE
        DONE: {final: COMPLETED}
        GONE: {final: BACKED_OUT}
      """;

  /** v1: A (timeout 10s) -> X, a live state v2 does not have; a migration selects only A. */
  static final String DL1 =
      """
      protocol: dl
      version: 1
      initial: A
      start: [Open]
      states:
        A:
          timeout: {after: 10s, to: X}
          on:
            Done: DONE
        X:
          on:
            Done: DONE
        DONE: {final: COMPLETED}
      """;

  static final String DL2 =
      """
      protocol: dl
      version: 2
      initial: A
      start: [Open]
      states:
        A:
          on:
            Done: DONE
        DONE: {final: COMPLETED}
      """;

  final Engine engine = EngineTest.engine(V1, V2, DL1, DL2);

  /** Migration {@code id} of dl v1 to v2, only sessions in A, at {@code t}. */
  static Migration onlyA(String id, long t) {
    return new Migration(
        id, "alice", "r", "dl", 1, 2, Map.of(), Set.of("A"), Set.of(), 1, 500, 0, 0, t, null);
  }

  static Migration migration(String id, long t) {
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
        1,
        500,
        0,
        0,
        t,
        null);
  }

  Session openV1() {
    return engine.onEvent(null, Event.of("s", "e1", "mig", "Open", 1_000).withVersion(1)).session();
  }

  @Test
  void shouldMoveASessionToTheMappedStateOfTheNewVersionWithOperatorTriggerAndAudit() {
    // given s on v1 in A since 1s (state deadline 11s, session deadline 101s)
    Session s = openV1();
    assertThat(s.version()).isEqualTo(1);

    // when
    Result r = engine.onMigration(s, migration("m1", 5_000));

    // then
    Transition t = only(r, Transition.class).get(0);
    assertThat(t.protocolVersion()).isEqualTo(2);
    assertThat(t.from()).isEqualTo("A");
    assertThat(t.to()).isEqualTo("A2");
    assertThat(t.trigger()).isEqualTo(Trigger.OPERATOR);
    assertThat(t.eventId()).isEqualTo("m1");
    assertThat(t.eventType()).isEqualTo(Migration.TYPE);
    Audit a = audit(r);
    assertThat(a.decision()).isEqualTo(Decision.ACCEPTED);
    assertThat(a.eventId()).isEqualTo("m1");
    assertThat(a.detail())
        .isEqualTo("migrate mig v1 A -> v2 A2 (migration m1) by alice: v2 takes over");
    // deadlines re-armed under v2: A2's 20s from the migration, the session's 1h from creation
    assertThat(r.session().version()).isEqualTo(2);
    assertThat(r.session().nextProtocolDeadline()).isEqualTo(25_000);
    assertThat(engine.onTime(r.session(), 11_000).outputs()).isEmpty();
  }

  @Test
  void shouldKeepTheStateNameWhenTheMapDoesNotNameItAndCarryTheData() {
    // given s in B
    Session s = engine.onEvent(openV1(), Event.of("s", "e2", "mig", "Go", 2_000)).session();

    // when
    Result r = engine.onMigration(s, migration("m1", 5_000));

    // then
    assertThat(r.session().state()).isEqualTo("B");
    assertThat(r.session().version()).isEqualTo(2);
    // B has no state deadline; the whole-session deadline is v2's hour from creation, not v1's 100s
    assertThat(r.session().nextProtocolDeadline()).isEqualTo(1_000 + 3_600_000);
    // v2's B leads to C, which v1 did not have
    Result done = engine.onEvent(r.session(), Event.of("s", "e3", "mig", "Done", 6_000));
    assertThat(done.session().state()).isEqualTo("C");
  }

  @Test
  void shouldMigrateASessionOnceForOneMigrationId() {
    // given s migrated by m1, then moved back to v1 is impossible: replay m1 on the migrated one
    Session s = openV1();
    Session migrated = engine.onMigration(s, migration("m1", 5_000)).session();

    // when the same migration meets the session again
    Result again = engine.onMigration(migrated, migration("m1", 6_000));

    // then it is no longer on v1: left alone, nothing written
    assertThat(again.changed()).isFalse();
    assertThat(again.outputs()).isEmpty();
    assertThat(migrated.eventIds()).contains("m1");
  }

  @Test
  void shouldFireDueDeadlinesFirstAndLeaveAFinalSessionAlone() {
    // given s in A whose state deadline (11s) passed before the migration's time
    Session s = openV1();

    // when
    Result r = engine.onMigration(s, migration("m1", 12_000));

    // then it timed out under v1 and was not migrated
    assertThat(r.session().isFinal()).isTrue();
    assertThat(r.session().version()).isEqualTo(1);
    assertThat(only(r, Transition.class))
        .extracting(Transition::trigger)
        .containsOnly(Trigger.TIMEOUT);
    assertThat(engine.onMigration(r.session(), migration("m1", 13_000)).outputs()).isEmpty();
  }

  @Test
  void shouldLeaveASessionThatADueDeadlineMovedOutOfTheSelectedStatesOnItsVersion() {
    // given s in A since 1s; its deadline (11s) moves it to X, not selected and not in v2
    Session s =
        engine.onEvent(null, Event.of("s", "e1", "dl", "Open", 1_000).withVersion(1)).session();
    assertThat(Migration.problems(protocol("dl", 1), protocol("dl", 2), Map.of(), Set.of("A")))
        .isEmpty();

    // when
    Result r = engine.onMigration(s, onlyA("m1", 12_000));

    // then the deadline fired under v1 and the session stays there, not migrated, not refused
    assertThat(r.session().state()).isEqualTo("X");
    assertThat(r.session().version()).isEqualTo(1);
    assertThat(only(r, Transition.class))
        .extracting(Transition::trigger)
        .containsOnly(Trigger.TIMEOUT);
    assertThat(only(r, Audit.class)).noneMatch(a -> "m1".equals(a.eventId()));
  }

  @Test
  void shouldRefuseASessionWhoseTargetStateTheNewVersionLacksAndRememberTheMigration() {
    // given s in A, and a migration whose map names a state v2 does not have (not checked here:
    // the versions were reloaded after the request, say)
    Session s = openV1();
    Migration m =
        new Migration(
            "m1",
            "alice",
            "r",
            "mig",
            1,
            2,
            Map.of("A", "NOPE"),
            Set.of(),
            Set.of(),
            1,
            500,
            0,
            0,
            5_000,
            null);

    // when
    Result r = engine.onMigration(s, m);

    // then refused with an audit naming the state; remembered, so no later chunk takes it
    Audit a = audit(r);
    assertThat(a.decision()).isEqualTo(Decision.REJECTED);
    assertThat(a.eventId()).isEqualTo("m1");
    assertThat(a.detail()).startsWith("state NOPE is not a state of mig@2");
    assertThat(only(r, Transition.class)).isEmpty();
    assertThat(r.changed()).isTrue();
    assertThat(r.session().version()).isEqualTo(1);
    assertThat(r.session().state()).isEqualTo("A");
    assertThat(r.session().eventIds()).contains("m1");
    assertThat(audit(engine.onMigration(r.session(), m)).decision()).isEqualTo(Decision.DUPLICATE);
  }

  Protocol protocol(String name, int version) {
    return engine.catalog().get(name, version).orElseThrow();
  }

  @Test
  void shouldRejectAnEventOfTheMigrationTypeAsReserved() {
    // given a producer's event that claims to be a migration (only signed records are)
    Session s = openV1();

    // when
    Result r = engine.onEvent(s, Event.of("s", "x", "mig", Migration.TYPE, 2_000));

    // then
    assertThat(audit(r).reason()).isEqualTo(Output.Reason.RESERVED_TYPE);
    assertThat(r.changed()).isFalse();
  }

  @Test
  void shouldNameEveryStateThatHasNoCounterpart() {
    // given
    Protocol v1 = engine.catalog().get("mig", 1).orElseThrow();
    Protocol v2 = engine.catalog().get("mig", 2).orElseThrow();

    // then: A has no A in v2 and no map entry; a map to a missing state is named too
    assertThat(Migration.problems(v1, v2, Map.of(), Set.of()))
        .containsExactly(
            "states [A] of mig@1 are not in mig@2 and not in the map: map each to a state of"
                + " mig@2 (A2, B, C, DONE, GONE)");
    assertThat(Migration.problems(v1, v2, Map.of("A", "NOPE"), Set.of()))
        .containsExactly("map: A: NOPE is not a state of mig@2");
    assertThat(Migration.problems(v1, v2, Map.of("A", "A2"), Set.of("DONE")))
        .containsExactly("state DONE is final in mig@1: final sessions are not migrated");
    // a selection by state needs only the selected states to map
    assertThat(Migration.problems(v1, v2, Map.of(), Set.of("B"))).isEmpty();
    assertThat(Migration.problems(v1, v2, Map.of("A", "A2"), Set.of())).isEmpty();
  }
}
