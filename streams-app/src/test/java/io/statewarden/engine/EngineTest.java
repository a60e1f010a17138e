package io.statewarden.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Backout;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Outcome;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One test (or a few) per rule of SPEC section 4. */
class EngineTest {
  static final String FLOW =
      """
      protocol: flow
      version: 1
      initial: A
      start: [Open]
      sessionTimeout: {after: 100s, to: TIMED_OUT}
      states:
        A:
          timeout: {after: 10s, to: STALLED}
          on:
            Go: {to: B, set: {n: "event.payload.n"}}
            Stay: A
            Fail: FAILED
        B:
          on:
            Check:
              - {to: DONE, if: "session.data.n > 5"}
              - {to: A,    if: "session.data.n < 0"}
            Broken: {to: DONE, if: "event.payload.missing == 1"}
        DONE: {final: COMPLETED}
        FAILED: {final: FAILED}
        STALLED: {final: BACKED_OUT}
        TIMED_OUT: {final: BACKED_OUT}
      """;

  final Engine engine = engine(FLOW);

  static Engine engine(String... yamls) {
    try {
      ProtocolCatalog c = new ProtocolCatalog();
      int i = 0;
      for (String y : yamls) {
        c.add(new ProtocolLoader().load("test" + i++ + ".yaml", y));
      }
      return new Engine(c, EngineConfig.DEFAULTS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Event ev(String session, String id, String type, long t) {
    return Event.of(session, id, "flow", type, t);
  }

  static <T> List<T> only(Result r, Class<T> type) {
    return r.outputs().stream().filter(type::isInstance).map(type::cast).toList();
  }

  static Audit audit(Result r) {
    List<Audit> audits = only(r, Audit.class);
    assertThat(audits).hasSize(1);
    return audits.get(0);
  }

  Session open() {
    return engine.onEvent(null, ev("s", "e1", "Open", 1_000)).session();
  }

  @Nested
  class Creation {
    @Test
    void shouldCreateSessionInInitialStateWithSeqOne() {
      Result r = engine.onEvent(null, ev("s", "e1", "Open", 1_000));

      assertThat(r.changed()).isTrue();
      assertThat(r.session().state()).isEqualTo("A");
      Transition t = only(r, Transition.class).get(0);
      assertThat(t.seq()).isEqualTo(1);
      assertThat(t.from()).isNull();
      assertThat(t.to()).isEqualTo("A");
      assertThat(t.trigger()).isEqualTo(Trigger.EVENT);
      assertThat(t.at()).isEqualTo(1_000);
      assertThat(audit(r).decision()).isEqualTo(Decision.ACCEPTED);
      assertThat(audit(r).repeatsItsTransition()).isTrue(); // statewarden.audit.accepted=false
    }

    @Test
    void shouldRejectNonStartEventForUnknownSession() {
      Result r = engine.onEvent(null, ev("s", "e1", "Go", 1_000));

      assertThat(r.session()).isNull();
      assertThat(r.changed()).isFalse();
      assertThat(audit(r).reason()).isEqualTo(Reason.UNKNOWN_SESSION);
      assertThat(only(r, Transition.class)).isEmpty();
    }

    @Test
    void shouldRejectUnknownProtocolAndUnknownVersion() {
      Result r = engine.onEvent(null, Event.of("s", "e1", "nope", "Open", 1));
      Result v = engine.onEvent(null, ev("s", "e1", "Open", 1).withVersion(7));

      assertThat(audit(r).reason()).isEqualTo(Reason.UNKNOWN_PROTOCOL);
      assertThat(audit(v).reason()).isEqualTo(Reason.UNKNOWN_PROTOCOL);
      assertThat(audit(v).detail()).contains("flow v7");
    }

    @Test
    void shouldStartNewSessionsOnHighestVersionAndKeepOldSessionsOnTheirs() {
      Engine two =
          engine(FLOW, FLOW.replace("version: 1", "version: 2").replace("Stay: A", "Stay: B"));
      Session old = two.onEvent(null, ev("s", "e1", "Open", 1).withVersion(1)).session();
      Session fresh = two.onEvent(null, ev("t", "e1", "Open", 1)).session();

      assertThat(fresh.version()).isEqualTo(2);
      assertThat(two.onEvent(old, ev("s", "e2", "Stay", 2)).session().state()).isEqualTo("A");
      assertThat(two.onEvent(fresh, ev("t", "e2", "Stay", 2)).session().state()).isEqualTo("B");
    }
  }

  @Nested
  class OneProtocolPerSession {
    @Test
    void shouldRejectEventOfAnotherProtocol() {
      Engine both = engine(FLOW, FLOW.replace("protocol: flow", "protocol: other"));
      Session s = both.onEvent(null, ev("s", "e1", "Open", 1)).session();

      Result r = both.onEvent(s, Event.of("s", "e2", "other", "Stay", 2));

      assertThat(audit(r).reason()).isEqualTo(Reason.PROTOCOL_MISMATCH);
      assertThat(r.changed()).isFalse();
    }

    @Test
    void shouldRejectKeyDifferentFromSessionId() {
      Result r = engine.onEvent(null, ev("s", "e1", "Open", 1).withKey("other"));

      assertThat(audit(r).reason()).isEqualTo(Reason.KEY_MISMATCH);
      assertThat(audit(r).sessionId()).isEqualTo("other");
      assertThat(r.session()).isNull();
    }
  }

  @Nested
  class Idempotency {
    @Test
    void shouldAuditDuplicateAndChangeNothing() {
      Session s = open();
      Session after =
          engine.onEvent(s, ev("s", "e2", "Go", 2_000).withPayload(Map.of("n", 1L))).session();

      Result r = engine.onEvent(after, ev("s", "e2", "Go", 2_500).withPayload(Map.of("n", 9L)));

      assertThat(audit(r).decision()).isEqualTo(Decision.DUPLICATE);
      assertThat(r.changed()).isFalse();
      assertThat(r.session()).isSameAs(after);
      assertThat(only(r, Transition.class)).isEmpty();
    }

    @Test
    void shouldTreatRetriedCreationAsDuplicate() {
      Session s = open();
      Result r = engine.onEvent(s, ev("s", "e1", "Open", 1_000));
      assertThat(audit(r).decision()).isEqualTo(Decision.DUPLICATE);
    }

    @Test
    void shouldNotRememberRejectedEventIds() {
      Session s = open();
      Result rejected = engine.onEvent(s, ev("s", "e2", "Check", 2_000));
      assertThat(audit(rejected).reason()).isEqualTo(Reason.INVALID_TRANSITION);

      Result retried = engine.onEvent(s, ev("s", "e2", "Stay", 2_100));
      assertThat(audit(retried).decision()).isEqualTo(Decision.ACCEPTED);
    }
  }

  @Nested
  class LegalMoves {
    @Test
    void shouldRejectEventTheStateDoesNotAccept() {
      Result r = engine.onEvent(open(), ev("s", "e2", "Check", 2_000));
      assertThat(audit(r).reason()).isEqualTo(Reason.INVALID_TRANSITION);
      assertThat(audit(r).detail()).contains("in state A").contains("Check");
    }

    @Test
    void shouldTakeFirstCandidateWhoseGuardHolds() {
      Session b =
          engine.onEvent(open(), ev("s", "e2", "Go", 2).withPayload(Map.of("n", 9L))).session();
      Result r = engine.onEvent(b, ev("s", "e3", "Check", 3));
      assertThat(r.session().state()).isEqualTo("DONE");
    }

    @Test
    void shouldRejectNoGuardMatched() {
      Session b =
          engine.onEvent(open(), ev("s", "e2", "Go", 2).withPayload(Map.of("n", 3L))).session();
      Result r = engine.onEvent(b, ev("s", "e3", "Check", 3));
      assertThat(audit(r).reason()).isEqualTo(Reason.NO_GUARD_MATCHED);
      assertThat(r.changed()).isFalse();
    }
  }

  @Test
  void shouldRejectStaleExpectedState() {
    Result r = engine.onEvent(open(), ev("s", "e2", "Stay", 2).withExpectedState("B"));
    assertThat(audit(r).reason()).isEqualTo(Reason.STALE_STATE);

    Result ok = engine.onEvent(open(), ev("s", "e2", "Stay", 2).withExpectedState("A"));
    assertThat(audit(ok).decision()).isEqualTo(Decision.ACCEPTED);
  }

  @Test
  void shouldFreezeFinalSession() {
    Session failed = engine.onEvent(open(), ev("s", "e2", "Fail", 2)).session();
    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);

    for (String type : List.of("Stay", "Go", "Open", "Fail")) {
      Result r = engine.onEvent(failed, ev("s", "x-" + type, type, 3));
      assertThat(audit(r).reason()).isEqualTo(Reason.SESSION_CLOSED);
      assertThat(r.changed()).isFalse();
    }
    assertThat(engine.onTime(failed, 1_000_000).changed()).isFalse();
  }

  @Nested
  class Deadlines {
    @Test
    void shouldFireStateTimeoutAtDeadlineWithRecordTime() {
      Session s = open(); // entered A at 1000, timeout 10s

      assertThat(engine.onTime(s, 10_999).changed()).isFalse();
      Result r = engine.onTime(s, 11_000);

      Transition t = only(r, Transition.class).get(0);
      assertThat(t.trigger()).isEqualTo(Trigger.TIMEOUT);
      assertThat(t.at()).isEqualTo(11_000);
      assertThat(t.to()).isEqualTo("STALLED");
      Audit a = audit(r);
      assertThat(a.decision()).isEqualTo(Decision.DEADLINE_FIRED);
      assertThat(a.seq()).isEqualTo(2);
    }

    @Test
    void shouldFireSessionTimeoutFromCreationInAnyState() {
      Session s = open();
      for (int i = 0; i < 12; i++) { // keep re-arming A's 10s deadline by staying
        s = engine.onEvent(s, ev("s", "stay" + i, "Stay", 1_000 + (i + 1) * 8_000L)).session();
      }
      Result r = engine.onTime(s, 101_000);

      Transition t = only(r, Transition.class).get(0);
      assertThat(t.trigger()).isEqualTo(Trigger.SESSION_TIMEOUT);
      assertThat(t.at()).isEqualTo(101_000);
      assertThat(only(r, Backout.class).get(0).reason()).isEqualTo(BackoutReason.SESSION_TIMEOUT);
    }

    @Test
    void shouldReArmDeadlineOnSelfTransition() {
      Session s = engine.onEvent(open(), ev("s", "e2", "Stay", 9_000)).session();

      assertThat(s.stateDeadline()).isEqualTo(19_000);
      assertThat(engine.onTime(s, 11_000).changed()).isFalse();
      assertThat(engine.onTime(s, 19_000).session().state()).isEqualTo("STALLED");
    }

    @Test
    void shouldFireDueDeadlineBeforeLateEvent() {
      Result r = engine.onEvent(open(), ev("s", "late", "Go", 11_000).withPayload(Map.of("n", 1L)));

      assertThat(r.outputs()).hasSize(4); // timeout transition, backout, deadline audit, rejection
      assertThat(only(r, Transition.class).get(0).trigger()).isEqualTo(Trigger.TIMEOUT);
      List<Audit> audits = only(r, Audit.class);
      assertThat(audits.get(0).decision()).isEqualTo(Decision.DEADLINE_FIRED);
      assertThat(audits.get(1).reason()).isEqualTo(Reason.SESSION_CLOSED);
      assertThat(r.changed()).isTrue();
    }

    @Test
    void shouldApplyEventJustBeforeDeadline() {
      Result r = engine.onEvent(open(), ev("s", "e2", "Go", 10_999).withPayload(Map.of("n", 1L)));
      assertThat(r.session().state()).isEqualTo("B");
      assertThat(r.session().stateDeadline()).isEqualTo(Session.NONE);
    }

    @Test
    void shouldFireNamedEventTimeout() {
      Engine e =
          engine(
              """
              protocol: named
              version: 1
              initial: Voting
              start: [Begin]
              states:
                Voting:
                  timeout: {after: 10s, event: EventVotingTimeout}
                  on:
                    EventVotingTimeout: {to: Collecting, set: {why: "event.type"}}
                Collecting: {final: COMPLETED}
              """);
      Session s = e.onEvent(null, Event.of("s", "e1", "named", "Begin", 0)).session();

      Result r = e.onTime(s, 10_000);

      Transition t = only(r, Transition.class).get(0);
      assertThat(t.trigger()).isEqualTo(Trigger.TIMEOUT);
      assertThat(t.eventType()).isEqualTo("EventVotingTimeout");
      assertThat(t.data()).containsEntry("why", "EventVotingTimeout");
      assertThat(audit(r).eventType()).isEqualTo("EventVotingTimeout");
    }

    @Test
    void shouldFireLoggedTimerWhileTheSessionIsStillDueByItsTime() {
      Session s = open(); // seq 1, deadline 11_000

      assertThat(engine.onTimer(s, 11_000).session().state()).isEqualTo("STALLED");
      assertThat(engine.onTimer(s, 10_999).changed()).as("before the due time").isFalse();
      Session moved = engine.onEvent(s, ev("s", "e2", "Stay", 5_000)).session(); // re-armed: 15_000
      Result stale = engine.onTimer(moved, 11_000);
      assertThat(stale.changed()).as("due time moved later: inert").isFalse();
      assertThat(stale.outputs()).isEmpty();
      assertThat(engine.onTimer(null, 11_000).outputs()).isEmpty();
    }

    @Test
    void shouldFireTimerOvertakenByAnEventThatKeptTheDueTime() {
      Engine e =
          engine(
              """
              protocol: flow
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
                TIMED_OUT: {final: BACKED_OUT}
              """);
      Session s = e.onEvent(null, ev("s", "e1", "Open", 0)).session(); // due 10_000, seq 1
      // the timer for 10_000 was logged; an event stamped 9_900 reached the log ahead of it
      Session stepped = e.onEvent(s, ev("s", "e2", "Step", 9_900)).session();
      assertThat(stepped.seq()).isEqualTo(2);
      assertThat(e.dueAt(stepped)).isEqualTo(10_000);

      Result r = e.onTimer(stepped, 10_000);

      assertThat(r.session().state()).isEqualTo("TIMED_OUT");
      assertThat(only(r, Transition.class).get(0).trigger()).isEqualTo(Trigger.SESSION_TIMEOUT);
      assertThat(audit(r).decision()).isEqualTo(Decision.DEADLINE_FIRED);
      assertThat(e.onTimer(r.session(), 10_000).changed()).as("a second timer is inert").isFalse();
    }

    @Test
    void shouldFireEverythingDueByTheTimerWhenTheDueTimeMovedEarlier() {
      // a timer logged for 101_000 is read back after a move made the session due earlier
      Session a = engine.onEvent(open(), ev("s", "e2", "Stay", 2_000)).session(); // due 12_000

      Result r = engine.onTimer(a, 101_000);

      assertThat(r.session().state()).isEqualTo("STALLED");
      assertThat(only(r, Audit.class)).hasSize(1);
    }

    @Test
    void shouldPurgeFinalSessionAfterRetention() {
      Session failed = engine.onEvent(open(), ev("s", "e2", "Fail", 2_000)).session();
      long purgeAt = 2_000 + Duration.ofDays(7).toMillis();

      assertThat(engine.dueAt(failed)).isEqualTo(purgeAt);
      assertThat(engine.onTime(failed, purgeAt - 1).changed()).isFalse();
      Result purged = engine.onTime(failed, purgeAt);
      assertThat(purged.changed()).isTrue();
      assertThat(purged.session()).isNull();
      assertThat(purged.outputs()).isEmpty();
    }

    @Test
    void shouldStartANewIncarnationWhenAPurgedSessionIdIsReused() {
      // given: a session that backs out, is purged, and whose id is then used again
      Session first = open();
      Result stalled = engine.onTimer(first, 11_000);
      long purgeAt = 11_000 + Duration.ofDays(7).toMillis();
      assertThat(engine.onTime(stalled.session(), purgeAt).session()).isNull();

      // when
      Result again = engine.onEvent(null, ev("s", "e9", "Open", purgeAt + 5));
      Result againStalled = engine.onTimer(again.session(), purgeAt + 10_005);

      // then: both lives start at seq 1, each output names its own incarnation
      assertThat(first.incarnation()).isEqualTo("1000/e1");
      assertThat(again.session().incarnation()).isEqualTo((purgeAt + 5) + "/e9");
      assertThat(only(stalled, Transition.class))
          .extracting(Transition::incarnation)
          .containsOnly("1000/e1");
      assertThat(only(stalled, Backout.class))
          .extracting(Backout::incarnation)
          .containsExactly("1000/e1");
      assertThat(only(again, Transition.class))
          .extracting(t -> t.seq() + "@" + t.incarnation())
          .containsExactly("1@" + (purgeAt + 5) + "/e9");
      assertThat(only(againStalled, Backout.class))
          .extracting(Backout::incarnation)
          .containsExactly((purgeAt + 5) + "/e9");
    }

    @Test
    void shouldDeriveTheIncarnationFromTheCreatingInputAlone() {
      // the same creating event gives the same incarnation (replay), another event another one
      Session a = engine.onEvent(null, ev("s", "e1", "Open", 1_000)).session();
      Session b = engine.onEvent(null, ev("s", "e1", "Open", 1_000)).session();
      Session later = engine.onEvent(null, ev("s", "e1", "Open", 1_001)).session();
      Session other = engine.onEvent(null, ev("s", "e2", "Open", 1_000)).session();

      assertThat(a.incarnation()).isEqualTo(b.incarnation());
      assertThat(later.incarnation()).isNotEqualTo(a.incarnation());
      assertThat(other.incarnation()).isNotEqualTo(a.incarnation());
      // kept through moves
      assertThat(engine.onEvent(a, ev("s", "e3", "Stay", 2_000)).session().incarnation())
          .isEqualTo(a.incarnation());
    }
  }

  @Test
  void shouldPublishBackoutNamingStalledStateAndHistory() {
    Session b =
        engine.onEvent(open(), ev("s", "e2", "Go", 2_000).withPayload(Map.of("n", -1L))).session();
    Session a = engine.onEvent(b, ev("s", "e3", "Check", 3_000)).session(); // back to A

    Result r = engine.onTime(a, 13_000);

    Backout bo = only(r, Backout.class).get(0);
    assertThat(bo.stalledState()).isEqualTo("A");
    assertThat(bo.reason()).isEqualTo(BackoutReason.TIMEOUT);
    assertThat(bo.deadline()).isEqualTo(13_000L);
    assertThat(bo.seq()).isEqualTo(4);
    assertThat(bo.history()).containsExactly("A", "B", "A", "STALLED");
    assertThat(bo.data()).containsEntry("n", -1L);
  }

  @Nested
  class Errors {
    @Test
    void shouldRejectGuardErrorWithoutOnError() {
      Session b =
          engine.onEvent(open(), ev("s", "e2", "Go", 2).withPayload(Map.of("n", 1L))).session();
      Result r = engine.onEvent(b, ev("s", "e3", "Broken", 3));

      assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
      assertThat(audit(r).decision()).isEqualTo(Decision.REJECTED);
      assertThat(audit(r).detail()).contains("missing");
      // the one rejection that rewrites the session: it keeps the event for a retry (0016)
      assertThat(r.changed()).isTrue();
      assertThat(r.session().state()).isEqualTo("B");
      assertThat(r.session().seq()).isEqualTo(b.seq());
      assertThat(r.session().eventIds()).isEqualTo(b.eventIds());
      assertThat(r.session().failed().eventId()).isEqualTo("e3");
    }

    @Test
    void shouldSendGuardErrorToOnError() {
      Engine e = engine(FLOW.replace("initial: A", "initial: A\nonError: FAILED"));
      Session s = e.onEvent(null, ev("s", "e1", "Open", 1)).session();
      Session b = e.onEvent(s, ev("s", "e2", "Go", 2).withPayload(Map.of("n", 1L))).session();

      Result r = e.onEvent(b, ev("s", "e3", "Broken", 3));

      Transition t = only(r, Transition.class).get(0);
      assertThat(t.trigger()).isEqualTo(Trigger.ERROR);
      assertThat(t.to()).isEqualTo("FAILED");
      assertThat(audit(r).decision()).isEqualTo(Decision.ACCEPTED);
      assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
      assertThat(audit(r).detail()).contains("missing");
    }

    @Test
    void shouldSendFailedAssignmentToOnErrorAsBackout() {
      Engine e = engine(FLOW.replace("initial: A", "initial: A\nonError: STALLED"));
      Session s = e.onEvent(null, ev("s", "e1", "Open", 1)).session();

      Result r = e.onEvent(s, ev("s", "e2", "Go", 2)); // event.payload.n is missing

      assertThat(r.session().state()).isEqualTo("STALLED");
      Backout bo = only(r, Backout.class).get(0);
      assertThat(bo.reason()).isEqualTo(BackoutReason.ERROR);
      assertThat(bo.stalledState()).isEqualTo("A");
    }
  }

  /** CHECK's always guard divides by the event's {@code d}: {@code d = 0} fails to evaluate. */
  static final String DIV =
      """
      protocol: div
      version: 1
      initial: CHECK
      start: [Open]
      states:
        CHECK:
          always:
            - {to: DONE, if: "10 / event.payload.d > 1"}
            - {to: A}
        A:
          timeout: {after: 10s, to: CHECK}
          on:
            Go: CHECK
        DONE: {final: COMPLETED}
      """;

  static Event div(String id, String type, long d, long t) {
    return Event.of("s", id, "div", type, t).withPayload(Map.of("d", d));
  }

  @Nested
  class AlwaysErrors {
    final Engine e = engine(DIV);

    @Test
    void shouldRejectTheWholeMoveWithoutOnError() {
      Session a = e.onEvent(null, div("e1", "Open", 100, 1)).session();

      Result r = e.onEvent(a, div("e2", "Go", 0, 2));

      assertThat(r.changed()).isFalse();
      assertThat(r.session()).isSameAs(a);
      assertThat(only(r, Transition.class)).isEmpty();
      assertThat(audit(r).decision()).isEqualTo(Decision.REJECTED);
      assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
      assertThat(audit(r).detail()).startsWith("always in CHECK: ").contains("by zero");
      assertThat(audit(r).stateAfter()).isEqualTo("A");
    }

    @Test
    void shouldNotCreateTheSessionWithoutOnError() {
      Result r = e.onEvent(null, div("e1", "Open", 0, 1));

      assertThat(r.session()).isNull();
      assertThat(r.changed()).isFalse();
      assertThat(r.outputs()).hasSize(1);
      assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
    }

    @Test
    void shouldKeepDeadlinesThatFiredBeforeTheRejectedMove() {
      Session a = e.onEvent(null, div("e1", "Open", 100, 1)).session();

      // the timeout at 10 001 fires first (CHECK again, d is missing: nothing moves), then Go fails
      Result r = e.onEvent(a, div("e2", "Go", 0, 20_000));

      assertThat(r.changed()).isTrue();
      assertThat(r.session().state()).isEqualTo("A");
      assertThat(r.session().seq()).isEqualTo(a.seq());
      assertThat(r.session().stateDeadline()).isEqualTo(Session.NONE);
      List<Audit> audits = only(r, Audit.class);
      assertThat(audits)
          .extracting(Audit::decision)
          .containsExactly(Decision.DEADLINE_FIRED, Decision.REJECTED);
      assertThat(audits).extracting(Audit::reason).containsOnly(Reason.GUARD_ERROR);
      assertThat(audits.get(0).detail()).endsWith("nothing moved, deadline cleared");
      assertThat(only(r, Transition.class)).isEmpty();
    }

    @Test
    void shouldSendToOnErrorWithReasonAndMessage() {
      Engine withOnError =
          engine(
              DIV.replace("initial: CHECK", "initial: CHECK\nonError: FAILED")
                  + "  FAILED: {final: FAILED}\n");
      Session a = withOnError.onEvent(null, div("e1", "Open", 100, 1)).session();

      Result r = withOnError.onEvent(a, div("e2", "Go", 0, 2));

      assertThat(only(r, Transition.class))
          .extracting(Transition::to, Transition::trigger)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("CHECK", Trigger.EVENT),
              org.assertj.core.groups.Tuple.tuple("FAILED", Trigger.ERROR));
      assertThat(audit(r).decision()).isEqualTo(Decision.ACCEPTED);
      assertThat(audit(r).reason()).isEqualTo(Reason.GUARD_ERROR);
      assertThat(audit(r).detail()).startsWith("always in CHECK: ").contains("by zero");
    }
  }

  @Test
  void shouldFollowAlwaysChainsWithOneTransitionEach() {
    Engine e =
        engine(
            """
            protocol: chain
            version: 1
            initial: S1
            start: [Begin]
            states:
              S1:
                on: {Next: S2}
              S2:
                always: [{to: S3, set: {auto: "true"}}]
              S3:
                always:
                  - {to: S4, if: "session.data.auto"}
              S4: {final: COMPLETED}
            """);
    Session s = e.onEvent(null, Event.of("c", "e1", "chain", "Begin", 0)).session();

    Result r = e.onEvent(s, Event.of("c", "e2", "chain", "Next", 5));

    List<Transition> ts = only(r, Transition.class);
    assertThat(ts).extracting(Transition::to).containsExactly("S2", "S3", "S4");
    assertThat(ts)
        .extracting(Transition::trigger)
        .containsExactly(Trigger.EVENT, Trigger.ALWAYS, Trigger.ALWAYS);
    assertThat(ts).extracting(Transition::seq).containsExactly(2L, 3L, 4L);
    assertThat(audit(r).seq()).isEqualTo(4);
  }

  @Test
  void shouldKeepEachHistoryEntryWithTheCauseItsTransitionNames() {
    // given a session moved by events, then by its state deadline
    Session b =
        engine.onEvent(open(), ev("s", "e2", "Go", 2_000).withPayload(Map.of("n", -1L))).session();
    Session a = engine.onEvent(b, ev("s", "e3", "Check", 3_000)).session();

    // when the deadline fires
    Result r = engine.onTime(a, 13_000);

    // then the timeline is the transitions' (to, trigger, eventId, eventType, at), move by move
    List<Transition> all = new java.util.ArrayList<>();
    all.addAll(only(engine.onEvent(null, ev("s", "e1", "Open", 1_000)), Transition.class));
    all.addAll(
        only(
            engine.onEvent(open(), ev("s", "e2", "Go", 2_000).withPayload(Map.of("n", -1L))),
            Transition.class));
    all.addAll(only(engine.onEvent(b, ev("s", "e3", "Check", 3_000)), Transition.class));
    all.addAll(only(r, Transition.class));
    assertThat(r.session().timeline())
        .containsExactly(
            new Session.Step("A", Trigger.EVENT, "e1", "Open", 1_000),
            new Session.Step("B", Trigger.EVENT, "e2", "Go", 2_000),
            new Session.Step("A", Trigger.EVENT, "e3", "Check", 3_000),
            new Session.Step("STALLED", Trigger.TIMEOUT, null, null, 13_000));
    assertThat(r.session().timeline())
        .extracting(
            Session.Step::state,
            Session.Step::trigger,
            Session.Step::eventId,
            Session.Step::eventType,
            Session.Step::at)
        .containsExactlyElementsOf(
            all.stream()
                .map(
                    t ->
                        org.assertj.core.groups.Tuple.tuple(
                            t.to(), t.trigger(), t.eventId(), t.eventType(), t.at()))
                .toList());
    // and it survives the store
    assertThat(SessionCodec.decode(SessionCodec.encode(r.session())).timeline())
        .isEqualTo(r.session().timeline());
  }

  @Test
  void shouldKeepBoundedHistory() {
    Engine e = new Engine(engine.catalog(), EngineConfig.DEFAULTS.withHistoryLimit(3));
    Session s = e.onEvent(null, ev("s", "e1", "Open", 1)).session();
    for (int i = 0; i < 5; i++) {
      s = e.onEvent(s, ev("s", "stay" + i, "Stay", 2 + i)).session();
    }
    assertThat(s.history()).hasSize(3);
    assertThat(s.timeline())
        .extracting(Session.Step::eventId)
        .containsExactly("stay2", "stay3", "stay4");
    assertThat(s.seq()).isEqualTo(6);
  }

  @Nested
  class BadInput {
    @Test
    void shouldRejectTheReservedTimerTypeBeforeAnyDeadlineFires() {
      // given a session whose 10 s state deadline is pending
      Session s = engine.onEvent(null, ev("s", "e1", "Open", 1)).session();

      // when an event of the timer type arrives stamped long after it
      Result r = engine.onEvent(s, ev("s", "t1", Engine.TIMER_TYPE, 1_000_000));

      // then it is rejected, and nothing fired: not the deadline, not the session timeout
      assertThat(r.outputs()).hasSize(1);
      assertThat(audit(r).reason()).isEqualTo(Reason.RESERVED_TYPE);
      assertThat(audit(r).stateBefore()).isEqualTo("A");
      assertThat(r.changed()).isFalse();
      assertThat(r.session()).isSameAs(s);
    }

    @Test
    void shouldRejectMissingFields() {
      Result r =
          engine.onEvent(
              null, new Event("s", "", "s", "flow", null, "Open", null, null, null, 1, null));
      assertThat(audit(r).reason()).isEqualTo(Reason.INVALID_EVENT);
      assertThat(audit(r).detail()).contains("eventId");
    }

    @Test
    void shouldNameTheFirstBadIdInAFixedOrder() {
      // given an event whose every id is too long
      String tooLong = "x".repeat(EngineConfig.DEFAULTS.maxIdLength() + 1);
      Event bad =
          new Event(null, tooLong, tooLong, tooLong, null, tooLong, null, tooLong, null, 1, null);

      // then the rejection names eventId, the first: the same audit on every run and in a replay
      // (the order of the ids was Map.of's, which changes from one JVM to the next)
      Audit audit = audit(engine.onEvent(null, bad));
      assertThat(audit.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
      assertThat(audit.detail()).startsWith("eventId has 257 characters");
    }

    @Test
    void shouldRejectOddUnicodeInIds() {
      for (String bad : List.of("a\u0000b", "a\nb", "\uD800x", "x\uDC00", "bad\uFFFD")) {
        Result r = engine.onEvent(null, ev(bad, "e1", "Open", 1));
        assertThat(audit(r).reason()).as(bad).isEqualTo(Reason.INVALID_EVENT);
      }
      assertThat(audit(engine.onEvent(null, ev("ok-\uD83D\uDE00", "e1", "Open", 1))).decision())
          .isEqualTo(Decision.ACCEPTED);
    }

    @Test
    void shouldRejectHugePayloads() {
      Map<String, Object> many = new HashMap<>();
      for (int i = 0; i < 300; i++) many.put("k" + i, (long) i);
      Result r = engine.onEvent(null, ev("s", "e1", "Open", 1).withPayload(many));
      assertThat(audit(r).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);

      Result big =
          engine.onEvent(
              null, ev("s", "e1", "Open", 1).withPayload(Map.of("x", "y".repeat(70_000))));
      assertThat(audit(big).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);

      Result longId = engine.onEvent(null, ev("s".repeat(300), "e1", "Open", 1));
      assertThat(audit(longId).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    }

    @Test
    void shouldRejectNestedPayloadValues() {
      Result r =
          engine.onEvent(
              null, ev("s", "e1", "Open", 1).withPayload(Map.of("deep", Map.of("a", Map.of()))));
      assertThat(audit(r).reason()).isEqualTo(Reason.INVALID_EVENT);
      assertThat(audit(r).detail()).contains("payload.deep");
    }
  }

  @Test
  void shouldCarryInputCoordinatesIntoAudit() {
    InputRef ref = new InputRef("statewarden.events", 3, 42);
    Result r = engine.onEvent(null, ev("s", "e1", "Open", 1).withInput(ref));
    assertThat(audit(r).input()).isEqualTo(ref);
  }
}
