package io.statewarden.engine;

import static io.statewarden.engine.EngineTest.audit;
import static io.statewarden.engine.EngineTest.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Backout;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operator commands of docs/decisions/0016: cancel, move, retry, decided in log order. */
class OperatorsTest {
  static final String FLOW = EngineTest.FLOW;

  /** v1: the guard of Go reads a field the events do not carry; v2 fixes it. */
  static String guarded(int version, String guard, String onError) {
    return """
        protocol: guarded
        version: %d
        initial: A
        start: [Open]
        %s
        states:
          A:
            on:
              Go: {to: B, if: "%s", set: {n: "event.payload.n"}}
              Fail: ERR
          B:
            timeout: {after: 10s, to: STALLED}
            on:
              Done: DONE
          ERR: {final: FAILED, retryable: true}
          DONE: {final: COMPLETED}
          STALLED: {final: BACKED_OUT}
        """
        .formatted(version, onError, guard);
  }

  static final String BROKEN = "event.payload.missing == 1";
  static final String FIXED = "event.payload.n > 0";

  final Engine engine = EngineTest.engine(FLOW);

  static Command cancel(String id, long t) {
    return new Command(
        Command.Kind.CANCEL, id, "s", "alice", "stuck", null, null, Map.of(), false, t, null);
  }

  static Command move(String id, String to, Map<String, String> set, boolean reopen, long t) {
    return new Command(
        Command.Kind.MOVE, id, "s", "alice", "fix data", null, to, set, reopen, t, null);
  }

  static Command retry(String id, long t) {
    return new Command(
        Command.Kind.RETRY,
        id,
        "s",
        "bob",
        "guard fixed in v2",
        null,
        null,
        Map.of(),
        false,
        t,
        null);
  }

  Session open(Engine e, String protocol) {
    return e.onEvent(null, Event.of("s", "e1", protocol, "Open", 1_000)).session();
  }

  @Test
  void shouldCancelALiveSessionIntoBackedOutWithOperatorTriggerAndDropItsDeadlines() {
    // given s in A, with a state deadline at 11s and a session deadline at 101s
    Session s = open(engine, "flow");
    assertThat(s.nextProtocolDeadline()).isEqualTo(11_000);

    // when
    Result r = engine.onCommand(s, cancel("c1", 2_000));

    // then
    Transition t = only(r, Transition.class).get(0);
    assertThat(t.to()).isEqualTo("TIMED_OUT"); // the sessionTimeout's BACKED_OUT target
    assertThat(t.trigger()).isEqualTo(Trigger.OPERATOR);
    assertThat(t.eventId()).isEqualTo("c1");
    assertThat(t.eventType()).isEqualTo(Command.TYPE);
    assertThat(t.outcome()).isEqualTo(Outcome.BACKED_OUT);
    Backout b = only(r, Backout.class).get(0);
    assertThat(b.reason()).isEqualTo(BackoutReason.OPERATOR);
    assertThat(b.stalledState()).isEqualTo("A");
    Audit a = audit(r);
    assertThat(a.decision()).isEqualTo(Decision.ACCEPTED);
    assertThat(a.eventId()).isEqualTo("c1");
    assertThat(a.detail()).isEqualTo("cancel by alice: stuck");
    assertThat(a.repeatsItsTransition()).as("who and why are in the audit alone").isFalse();
    assertThat(r.session().isFinal()).isTrue();
    assertThat(r.session().nextProtocolDeadline()).isEqualTo(Session.NONE);
    assertThat(engine.onTime(r.session(), 11_000).outputs()).isEmpty();
  }

  @Test
  void shouldApplyTheSameCommandIdOnce() {
    // given a cancelled session
    Session cancelled = engine.onCommand(open(engine, "flow"), cancel("c1", 2_000)).session();

    // when the same command is read again, and then another cancel
    Result again = engine.onCommand(cancelled, cancel("c1", 3_000));
    Result other = engine.onCommand(cancelled, cancel("c2", 3_000));

    // then
    assertThat(again.changed()).isFalse();
    assertThat(audit(again).decision()).isEqualTo(Decision.DUPLICATE);
    assertThat(only(again, Transition.class)).isEmpty();
    assertThat(audit(other).reason()).isEqualTo(Reason.SESSION_CLOSED);
    assertThat(other.changed()).isFalse();
  }

  @Test
  void shouldRefuseACommandWhoseExpectedStateIsStale() {
    // given s moved on to B
    Session s =
        engine
            .onEvent(
                open(engine, "flow"),
                EngineTest.ev("s", "e2", "Go", 1_500).withPayload(Map.of("n", 1L)))
            .session();
    Command c =
        new Command(
            Command.Kind.CANCEL, "c1", "s", "alice", "r", "A", null, Map.of(), false, 2_000, null);

    // when
    Result r = engine.onCommand(s, c);

    // then
    assertThat(r.changed()).isFalse();
    assertThat(audit(r).reason()).isEqualTo(Reason.STALE_STATE);
    assertThat(audit(r).detail()).contains("by alice");
  }

  @Test
  void shouldFireWhatIsDueBeforeTheCommand() {
    // given s in A, its state deadline at 11s
    Session s = open(engine, "flow");

    // when a cancel stamped after the deadline is read
    Result r = engine.onCommand(s, cancel("c1", 12_000));

    // then the timeout fired first, and the cancel finds a final session
    assertThat(only(r, Transition.class))
        .extracting(Transition::trigger)
        .containsExactly(Trigger.TIMEOUT);
    assertThat(r.session().state()).isEqualTo("STALLED");
    assertThat(only(r, Audit.class))
        .extracting(Audit::reason)
        .containsExactly(null, Reason.SESSION_CLOSED);
  }

  @Test
  void shouldRefuseACommandForAnUnknownSession() {
    Result r = engine.onCommand(null, cancel("c1", 1_000));

    assertThat(r.session()).isNull();
    assertThat(audit(r).reason()).isEqualTo(Reason.UNKNOWN_SESSION);
  }

  @Test
  void shouldMoveIntoANamedStateWithPatchedDataAndReArmItsDeadlines() {
    // given s in A (state deadline 11s)
    Session s = open(engine, "flow");

    // when moved back into A at 5s with n set from the session
    Result r =
        engine.onCommand(s, move("c1", "A", Map.of("n", "size(session.state) + 6"), false, 5_000));

    // then
    Transition t = only(r, Transition.class).get(0);
    assertThat(t.from()).isEqualTo("A");
    assertThat(t.to()).isEqualTo("A");
    assertThat(t.trigger()).isEqualTo(Trigger.OPERATOR);
    assertThat(r.session().data()).containsEntry("n", 7L);
    assertThat(r.session().stateDeadline()).isEqualTo(15_000);
    assertThat(r.session().sessionDeadline()).isEqualTo(101_000);
    assertThat(audit(r).detail())
        .isEqualTo("move to A set {n=size(session.state) + 6} by alice: fix data");
  }

  @Test
  void shouldRefuseAMoveToAnUnknownStateOrWithABadExpression() {
    Session s = open(engine, "flow");

    Result unknown = engine.onCommand(s, move("c1", "NOPE", Map.of(), false, 2_000));
    Result bad = engine.onCommand(s, move("c2", "B", Map.of("n", "session.("), false, 2_000));
    Result failing =
        engine.onCommand(s, move("c3", "B", Map.of("n", "session.data.missing + 1"), false, 2_000));

    assertThat(audit(unknown).reason()).isEqualTo(Reason.INVALID_TRANSITION);
    assertThat(audit(bad).reason()).isEqualTo(Reason.GUARD_ERROR);
    assertThat(audit(failing).reason()).isEqualTo(Reason.GUARD_ERROR);
    assertThat(List.of(unknown, bad, failing))
        .allSatisfy(
            r -> {
              assertThat(r.changed()).isFalse();
              assertThat(only(r, Transition.class)).isEmpty();
            });
  }

  @Test
  void shouldMoveAFinalSessionOnlyWhenReopened() {
    // given a cancelled session
    Session s = engine.onCommand(open(engine, "flow"), cancel("c1", 2_000)).session();

    // when
    Result refused = engine.onCommand(s, move("c2", "B", Map.of(), false, 3_000));
    Result reopened = engine.onCommand(s, move("c3", "B", Map.of(), true, 3_000));

    // then
    assertThat(audit(refused).reason()).isEqualTo(Reason.SESSION_CLOSED);
    assertThat(reopened.session().isFinal()).isFalse();
    assertThat(reopened.session().state()).isEqualTo("B");
    assertThat(reopened.session().seq()).isEqualTo(s.seq() + 1);
    assertThat(only(reopened, Transition.class).get(0).from()).isEqualTo("TIMED_OUT");
  }

  @Test
  void shouldRetryAGuardErrorUnderTheNewlyLoadedVersion() {
    // given v1 with a broken guard: Go is rejected GUARD_ERROR and kept
    Engine v1 = EngineTest.engine(guarded(1, BROKEN, ""));
    Session s = open(v1, "guarded");
    Result failed =
        v1.onEvent(s, Event.of("s", "e2", "guarded", "Go", 2_000).withPayload(Map.of("n", 3L)));
    assertThat(audit(failed).reason()).isEqualTo(Reason.GUARD_ERROR);
    assertThat(failed.session().state()).isEqualTo("A");
    assertThat(failed.session().failed().eventId()).isEqualTo("e2");

    // when v2 is loaded and the session retried
    Engine v2 = EngineTest.engine(guarded(1, BROKEN, ""), guarded(2, FIXED, ""));
    Result r = v2.onCommand(failed.session(), retry("c1", 5_000));

    // then Go applies under v2, with its payload, at the command's time
    Transition t = only(r, Transition.class).get(0);
    assertThat(t.from()).isEqualTo("A");
    assertThat(t.to()).isEqualTo("B");
    assertThat(t.protocolVersion()).isEqualTo(2);
    assertThat(t.trigger()).isEqualTo(Trigger.OPERATOR);
    assertThat(r.session().version()).isEqualTo(2);
    assertThat(r.session().data()).containsEntry("n", 3L);
    assertThat(r.session().stateDeadline()).isEqualTo(15_000);
    assertThat(r.session().failed()).isNull();
    assertThat(audit(r).decision()).isEqualTo(Decision.ACCEPTED);
    // and a second retry finds nothing to retry
    assertThat(audit(v2.onCommand(r.session(), retry("c2", 6_000))).reason())
        .isEqualTo(Reason.INVALID_TRANSITION);
  }

  @Test
  void shouldTreatTheRetriedEventSentAgainAsADuplicate() {
    // given Go rejected GUARD_ERROR under v1, then retried under v2 (it moves A to B)
    Engine v1 = EngineTest.engine(guarded(1, BROKEN, ""));
    Event go = Event.of("s", "e2", "guarded", "Go", 2_000).withPayload(Map.of("n", 3L));
    Session kept = v1.onEvent(open(v1, "guarded"), go).session();
    Engine v2 = EngineTest.engine(guarded(1, BROKEN, ""), guarded(2, FIXED, ""));
    Session retried = v2.onCommand(kept, retry("c1", 5_000)).session();

    // when its producer sends the same Go again
    Result resent = v2.onEvent(retried, go);

    // then it is a duplicate: the retry accepted it
    assertThat(audit(resent).decision()).isEqualTo(Decision.DUPLICATE);
    assertThat(resent.changed()).isFalse();
    assertThat(retried.eventIds()).contains("e2", "c1").doesNotHaveDuplicates();
  }

  @Test
  void shouldNameTheVersionARetryAppliedInItsAudit() {
    // given a kept Go, and v2 and v3 loaded: the retry takes the latest
    Engine v1 = EngineTest.engine(guarded(1, BROKEN, ""));
    Session kept =
        v1.onEvent(
                open(v1, "guarded"),
                Event.of("s", "e2", "guarded", "Go", 2_000).withPayload(Map.of("n", 3L)))
            .session();
    Engine v3 =
        EngineTest.engine(
            guarded(1, BROKEN, ""), guarded(2, FIXED, ""), guarded(3, "event.payload.n > 1", ""));

    // when
    Result r = v3.onCommand(kept, retry("c1", 5_000));

    // then the audit says which version applied it, as the transition does
    assertThat(audit(r).detail()).isEqualTo("retry under guarded@3 by bob: guard fixed in v2");
    assertThat(only(r, Transition.class).get(0).protocolVersion()).isEqualTo(3);
  }

  @Test
  void shouldRetryFromARetryableOnErrorStateBackIntoTheStateTheEventFailedIn() {
    // given v1 sends the failed Go to ERR (final FAILED, retryable)
    Engine v1 = EngineTest.engine(guarded(1, BROKEN, "onError: ERR"));
    Result failed =
        v1.onEvent(
            open(v1, "guarded"),
            Event.of("s", "e2", "guarded", "Go", 2_000).withPayload(Map.of("n", 3L)));
    assertThat(failed.session().state()).isEqualTo("ERR");
    assertThat(failed.session().isFinal()).isTrue();

    // when
    Engine v2 =
        EngineTest.engine(guarded(1, BROKEN, "onError: ERR"), guarded(2, FIXED, "onError: ERR"));
    Result r = v2.onCommand(failed.session(), retry("c1", 5_000));

    // then back into A, then Go to B
    assertThat(only(r, Transition.class))
        .extracting(Transition::from, Transition::to)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("ERR", "A"),
            org.assertj.core.groups.Tuple.tuple("A", "B"));
    assertThat(r.session().isFinal()).isFalse();
    assertThat(r.session().version()).isEqualTo(2);
  }

  @Test
  void shouldLeaveTheSessionAsItWasWhenTheRetryFailsAgain() {
    Engine v1 = EngineTest.engine(guarded(1, BROKEN, ""));
    Session kept =
        v1.onEvent(open(v1, "guarded"), Event.of("s", "e2", "guarded", "Go", 2_000)).session();

    Result r = v1.onCommand(kept, retry("c1", 5_000));

    assertThat(r.changed()).isFalse();
    assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
    assertThat(only(r, Transition.class)).isEmpty();
  }

  @Test
  void shouldRejectAProducersEventOfTheCommandType() {
    Session s = open(engine, "flow");

    Result r = engine.onEvent(s, EngineTest.ev("s", "x", Command.TYPE, 2_000));

    assertThat(audit(r).reason()).isEqualTo(Reason.RESERVED_TYPE);
    assertThat(r.changed()).isFalse();
  }
}
