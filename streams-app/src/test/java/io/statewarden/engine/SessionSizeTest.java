package io.statewarden.engine;

import static io.statewarden.engine.EngineTest.audit;
import static io.statewarden.engine.EngineTest.only;
import static net.jqwik.api.RandomDistribution.uniform;
import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Transition;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Bounded session: a move whose {@code set} would make the encoded session larger than {@link
 * EngineConfig#maxSessionBytes} does not happen. An event is rejected LIMIT_EXCEEDED and changes
 * nothing (it never goes to onError); a deadline moves nothing and is spent. A move that does not
 * enlarge the data is never refused, so a session at its limit can still end.
 */
class SessionSizeTest {
  static final String GROW =
      """
      protocol: grow
      version: 1
      initial: INIT
      start: [Open]
      onError: FAILED
      states:
        INIT:
          always: [{to: OPEN, set: {log: "event.payload.s"}}]
        OPEN:
          timeout: {after: 10s, event: Tick}
          on:
            Add: {to: OPEN, set: {log: "session.data.log + event.payload.s"}}
            Shrink: {to: OPEN, set: {log: "'-'"}}
            Blow: {to: BIG, set: {log: "session.data.log + session.data.log + session.data.log"}}
            Tick: {to: OPEN, set: {log: "session.data.log + session.data.log"}}
            Close: DONE
        BIG:
          always: [{to: OPEN, set: {log: "'-'"}}]
        DONE: {final: COMPLETED}
        FAILED: {final: FAILED}
      """;

  static final int LIMIT = 1_000;

  static Engine engine(int limit) {
    try {
      return new Engine(
          ProtocolCatalog.of(new ProtocolLoader().load("grow.yaml", GROW)),
          EngineConfig.DEFAULTS.withMaxSessionBytes(limit));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  final Engine engine = engine(LIMIT);

  static Event ev(String id, String type, String s, long t) {
    return Event.of("g", id, "grow", type, t).withPayload(Map.of("s", s));
  }

  Session open(String s) {
    Result r = engine.onEvent(null, ev("e0", "Open", s, 1_000));
    assertThat(audit(r).decision()).isEqualTo(Decision.ACCEPTED);
    return r.session();
  }

  @Test
  void shouldRejectAnEventWhoseSetWouldPassTheLimitAndChangeNothing() {
    // given
    Session s = open("x".repeat(400));

    // when: 400 + 700 characters of log is more than 1000 bytes of session
    Result r = engine.onEvent(s, ev("e1", "Add", "y".repeat(700), 2_000));

    // then
    Audit a = audit(r);
    assertThat(a.decision()).isEqualTo(Decision.REJECTED);
    assertThat(a.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    assertThat(a.detail())
        .startsWith("the move to OPEN would make the session 1")
        .endsWith("bytes; the limit is 1000 (statewarden.session.max.bytes)");
    assertThat(a.stateBefore()).isEqualTo("OPEN");
    assertThat(a.stateAfter()).isEqualTo("OPEN");
    assertThat(only(r, Transition.class)).as("not sent to onError either").isEmpty();
    assertThat(r.changed()).isFalse();
    assertThat(r.session()).isSameAs(s);

    // and the next event that fits is applied
    Result next = engine.onEvent(s, ev("e2", "Add", "y".repeat(100), 3_000));
    assertThat(audit(next).decision()).isEqualTo(Decision.ACCEPTED);
    assertThat(next.session().data().get("log")).isEqualTo("x".repeat(400) + "y".repeat(100));
  }

  @Test
  void shouldNotCreateASessionWhoseCreatingMovePassesTheLimit() {
    Result r = engine.onEvent(null, ev("e0", "Open", "x".repeat(2_000), 1_000));

    assertThat(audit(r).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    assertThat(only(r, Transition.class)).isEmpty();
    assertThat(r.session()).isNull();
    assertThat(r.changed()).isFalse();
  }

  @Test
  void shouldCountMultiByteCharactersAsTheirEncodedBytes() {
    // 340 characters, 1020 bytes in UTF-8: over the limit, though 340 characters are not
    Result r = engine.onEvent(null, ev("e0", "Open", "\u20ac".repeat(340), 1_000));

    assertThat(audit(r).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
  }

  @Test
  void shouldRefuseAMoveWhoseAlwaysChainPassesTheLimitOnTheWay() {
    // given: 3 x 400 characters in BIG, one character after its always move
    Session s = open("x".repeat(400));

    // when
    Result r = engine.onEvent(s, ev("e1", "Blow", "", 2_000));

    // then: the transition into BIG would carry the oversized data, so nothing of the move happens
    assertThat(audit(r).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    assertThat(audit(r).detail()).startsWith("the move to BIG would make the session ");
    assertThat(only(r, Transition.class)).isEmpty();
    assertThat(r.session()).isSameAs(s);
  }

  @Test
  void shouldSpendADeadlineWhoseSetWouldPassTheLimit() {
    // given: the Tick due at 11 s doubles 600 characters
    Session s = open("x".repeat(600));
    assertThat(s.stateDeadline()).isEqualTo(11_000);

    // when
    Result r = engine.onTime(s, 11_000);

    // then
    Audit a = audit(r);
    assertThat(a.decision()).isEqualTo(Decision.DEADLINE_FIRED);
    assertThat(a.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    assertThat(a.detail())
        .startsWith("timeout 10s in OPEN: the move to OPEN would make the session ")
        .endsWith("; nothing moved, deadline cleared");
    assertThat(only(r, Transition.class)).isEmpty();
    assertThat(r.session().state()).isEqualTo("OPEN");
    assertThat(r.session().data()).isEqualTo(s.data());
    assertThat(r.session().stateDeadline()).isEqualTo(Session.NONE);
  }

  @Test
  void shouldLetASessionAtItsLimitMoveOnAndEnd() {
    // given: a session of exactly its limit
    Session s =
        engine(Integer.MAX_VALUE).onEvent(null, ev("e0", "Open", "x".repeat(900), 1)).session();
    Engine tight = engine((int) SessionCodec.size(s));

    // when: moves that do not enlarge the data, though they add an event id and history
    Result shrink = tight.onEvent(s, ev("e1", "Shrink", "", 2));
    Result close = tight.onEvent(s, ev("e2", "Close", "", 2));

    // then
    assertThat(audit(shrink).decision()).isEqualTo(Decision.ACCEPTED);
    assertThat(audit(close).decision()).isEqualTo(Decision.ACCEPTED);
    assertThat(SessionCodec.size(close.session())).isGreaterThan(SessionCodec.size(s));
    assertThat(close.session().isFinal()).isTrue();
    // but one more byte of data is refused
    assertThat(audit(tight.onEvent(s, ev("e3", "Add", "y", 2))).reason())
        .isEqualTo(Reason.LIMIT_EXCEEDED);
  }

  @Test
  void shouldMeasureSessionsAsTheCodecWritesThem() {
    for (String text :
        List.of(
            "", "ascii", "\u00e9t\u00e9", "\u20ac", "\ud83d\ude00", "lone \ud800 high", "\udc00")) {
      Session s = engine(Integer.MAX_VALUE).onEvent(null, ev("e0", "Open", text, 1_000)).session();
      assertThat(SessionCodec.size(s)).as(text).isEqualTo(SessionCodec.encode(s).length);
    }
  }

  /** One step of a session: after a gap, an event, or (maybe early) the state's deadline. */
  record Grow(int gapMs, boolean tickEarly, String type, String text) {
    @Override
    public String toString() {
      return "+" + gapMs + "ms " + type + (tickEarly ? " (or tick)" : "") + " \"" + text + '"';
    }
  }

  @Provide
  Arbitrary<List<Grow>> growth() {
    // texts of up to 39 characters, one in four up to 299, from 1-, 2- and 4-byte characters and a
    // lone surrogate
    Arbitrary<String> character = Arbitraries.of("a", "\u00e9", "\u20ac", "\ud83d\ude00", "\ud800");
    Arbitrary<String> text =
        Arbitraries.frequencyOf(
                Tuple.of(3, character.list().ofMaxSize(39).withSizeDistribution(uniform())),
                Tuple.of(1, character.list().ofMaxSize(299).withSizeDistribution(uniform())))
            .map(cs -> String.join("", cs));
    Arbitrary<Grow> step =
        Combinators.combine(
                ProtocolArbitraries.ints(1, 3_000),
                Arbitraries.of(false, false, false, false, true),
                Arbitraries.of("Add", "Add", "Add", "Shrink", "Close"),
                text)
            .as(Grow::new);
    return ProtocolArbitraries.mostlyFull(step, 1, 40);
  }

  /**
   * Against a reference, the same engine without a limit, from the same session: a step whose move
   * enlarges the data past the limit is refused as the rule says; every other step gives the same
   * result; and the codec's size is the encoded length. Each step is one move whose {@code set}, if
   * any, is its last transition, so the reference's session after the step is the one to measure. A
   * step is the deadline's when it falls due before the step's event (or early, when drawn so); the
   * first event of each session is its Open, whatever the step's type.
   */
  @Property(tries = 300, shrinking = ShrinkingMode.FULL)
  void shouldRefuseExactlyTheMovesThatEnlargeTheDataPastTheLimit(
      @ForAll @IntRange(min = 80, max = 679) int limit, @ForAll("growth") List<Grow> steps) {
    Engine limited = engine(limit);
    Engine reference = engine(Integer.MAX_VALUE);
    Session s = null;
    long t = 1_000;
    for (int i = 0; i < steps.size(); i++) {
      Grow step = steps.get(i);
      boolean tick =
          s != null
              && s.stateDeadline() != Session.NONE
              && (step.tickEarly() || t + step.gapMs() >= s.stateDeadline());
      Result ref;
      Result got;
      if (tick) {
        t = s.stateDeadline();
        ref = reference.onTime(s, t);
        got = limited.onTime(s, t);
      } else {
        t += step.gapMs();
        Event e = ev("e" + i, s == null ? "Open" : step.type(), step.text(), t);
        ref = reference.onEvent(s, e);
        got = limited.onEvent(s, e);
      }
      Map<String, Object> before = s == null ? Map.of() : s.data();
      boolean grew =
          only(ref, Transition.class).stream()
              .anyMatch(x -> SessionCodec.dataSize(x.data()) > SessionCodec.dataSize(before));
      if (grew && SessionCodec.size(ref.session()) > limit) {
        assertThat(only(got, Transition.class)).as("step %d", i).isEmpty();
        Audit a = audit(got);
        assertThat(a.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(a.decision()).isEqualTo(tick ? Decision.DEADLINE_FIRED : Decision.REJECTED);
        assertThat(got.session() == null ? null : got.session().data())
            .isEqualTo(s == null ? null : s.data());
      } else {
        assertThat(got.outputs()).as("step %d", i).isEqualTo(ref.outputs());
        assertThat(got.session()).isEqualTo(ref.session());
      }
      if (got.changed()) s = got.session();
      if (s != null) {
        assertThat(SessionCodec.size(s)).isEqualTo(SessionCodec.encode(s).length);
      }
      if (s != null && s.isFinal()) s = null; // start another session
    }
  }
}
