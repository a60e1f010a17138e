package io.statewarden.engine;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.arbitraries.ListArbitrary;

/**
 * jqwik generators of valid protocol definitions and of event schedules, built from {@link
 * Arbitrary}s so that a failing case shrinks to a small one: fewer states, fewer handlers, no
 * timeouts, no guards, fewer steps with shorter gaps. A protocol has states S0..Sn-1 plus three
 * finals, guarded moves, per-state timeouts (to a state or to an event the state handles), always
 * moves, an optional session timeout, and a forward-only graph when asked.
 *
 * <p>Moves name their target relative to the state they leave ({@link Target}), so dropping a state
 * while shrinking leaves every other state valid. Printed, a protocol is its YAML and a step one
 * line, so jqwik's counterexample reads as a protocol and a schedule.
 */
final class ProtocolArbitraries {
  static final String NAME = "gen";
  static final List<String> EVENTS = List.of("E0", "E1", "E2", "E3");
  static final List<String> FINALS = List.of("F_DONE", "F_FAILED", "F_BACKED");
  static final List<String> GUARDS =
      List.of(
          "event.payload.v == 1",
          "event.payload.v > 1",
          "has(event.payload.v)",
          "session.data.n > 2",
          "session.seq % 2 == 0",
          "event.payload.missing == 1");

  /**
   * List sizes: three in four at the maximum, the rest anywhere in range. Long schedules find deep
   * interleavings; shrinking, not generation, finds the short one. (jqwik's default keeps most
   * lists near the square root of the number of tries.)
   */
  static final RandomDistribution MOSTLY_FULL =
      new RandomDistribution() {
        @Override
        public RandomNumericGenerator createGenerator(
            int genSize, BigInteger min, BigInteger max, BigInteger center) {
          return random -> {
            if (random.nextInt(4) > 0) return max;
            long span = max.subtract(min).longValueExact() + 1;
            return min.add(BigInteger.valueOf((long) (random.nextDouble() * span)));
          };
        }
      };

  private ProtocolArbitraries() {}

  /** Integers spread evenly over the range (jqwik's default crowds them near the ends). */
  static Arbitrary<Integer> ints(int min, int max) {
    return Arbitraries.integers().between(min, max).withDistribution(RandomDistribution.uniform());
  }

  /** Lists of up to {@code max} elements, mostly of {@code max}. */
  static <T> ListArbitrary<T> mostlyFull(Arbitrary<T> element, int min, int max) {
    return element.list().ofMinSize(min).ofMaxSize(max).withSizeDistribution(MOSTLY_FULL);
  }

  /**
   * Where a move goes: a final state, or else the state {@code pick} away, taken relative to the
   * state {@code i} of {@code n} it leaves: any state (modulo n), or for a forward-only protocol
   * one past i (F_DONE from the last state). Shrinks to S0, or to the next state.
   */
  record Target(String fin, int pick) {
    String in(int i, int n, boolean forwardOnly) {
      if (fin != null) return fin;
      if (forwardOnly) return i + 1 < n ? "S" + (i + 1 + pick % (n - i - 1)) : "F_DONE";
      return "S" + pick % n;
    }
  }

  /** One candidate move: a target, a guard (null: none), whether it sets {@code n}. */
  record Move(Target to, String guard, boolean bump) {}

  /**
   * The moves an event takes in a state: maybe a guarded one (null: none), then one whose guard may
   * lack.
   */
  record Handler(String event, Move guarded, Move last) {}

  /** A state's timeout: after some seconds, to a target, or else as an event the state handles. */
  record Timeout(int afterSeconds, Target to, String event) {}

  /** An always move to a later state ({@code pick} away from the next one), maybe guarded. */
  record Always(int pick, String guard) {}

  record State(List<Handler> handlers, Timeout timeout, Always always) {}

  record GeneratedProtocol(
      boolean forwardOnly, boolean onError, Integer sessionTimeoutSeconds, List<State> states) {

    String yaml() {
      int n = states.size();
      StringBuilder y = new StringBuilder();
      y.append("protocol: ").append(NAME).append("\nversion: 1\ninitial: S0\nstart: [Open]\n");
      y.append("forwardOnly: ").append(forwardOnly).append('\n');
      if (onError) y.append("onError: F_FAILED\n");
      if (sessionTimeoutSeconds != null) {
        y.append("sessionTimeout: {after: ")
            .append(sessionTimeoutSeconds)
            .append("s, to: F_BACKED}\n");
      }
      y.append("states:\n");
      for (int i = 0; i < n; i++) {
        State s = states.get(i);
        y.append("  S").append(i).append(":\n    on:\n");
        String next = i + 1 < n ? "S" + (i + 1) : "F_DONE";
        y.append("      Next: {to: ").append(next).append(", set: {n: \"session.seq\"}}\n");
        y.append("      Fail: F_FAILED\n      Abort: F_BACKED\n");
        for (Handler h : s.handlers()) {
          y.append("      ").append(h.event()).append(":\n");
          if (h.guarded() != null) move(y, h.guarded(), i, n);
          move(y, h.last(), i, n);
        }
        Timeout t = s.timeout();
        if (t != null) {
          y.append("    timeout: {after: ").append(t.afterSeconds()).append("s, ");
          if (t.event() != null) y.append("event: ").append(t.event());
          else y.append("to: ").append(t.to().in(i, n, forwardOnly));
          y.append("}\n");
        }
        Always a = s.always();
        if (a != null && i + 1 < n) {
          y.append("    always:\n      - {to: S").append(i + 1 + a.pick() % (n - i - 1));
          if (a.guard() != null) y.append(", if: \"").append(a.guard()).append('"');
          y.append("}\n");
        }
      }
      y.append(
          "  F_DONE: {final: COMPLETED}\n  F_FAILED: {final: FAILED}\n  F_BACKED: {final: BACKED_OUT}\n");
      return y.toString();
    }

    private void move(StringBuilder y, Move m, int i, int n) {
      y.append("        - {to: ").append(m.to().in(i, n, forwardOnly));
      if (m.guard() != null) y.append(", if: \"").append(m.guard()).append('"');
      if (m.bump()) y.append(", set: {n: \"session.seq + 1\"}");
      y.append("}\n");
    }

    @Override
    public String toString() {
      return "\n" + yaml();
    }
  }

  /** Protocols of 2 to 6 states, forward-only or not. */
  static Arbitrary<GeneratedProtocol> protocols() {
    return protocols(Arbitraries.of(false, true));
  }

  static Arbitrary<GeneratedProtocol> protocols(boolean forwardOnly) {
    return protocols(Arbitraries.just(forwardOnly));
  }

  private static Arbitrary<GeneratedProtocol> protocols(Arbitrary<Boolean> forwardOnly) {
    return Combinators.combine(
            forwardOnly,
            Arbitraries.of(false, true),
            ints(20, 79).injectNull(0.5),
            state()
                .list()
                .ofMinSize(2)
                .ofMaxSize(6)
                .withSizeDistribution(RandomDistribution.uniform()))
        .as(GeneratedProtocol::new);
  }

  static Arbitrary<State> state() {
    // each of E0..E3 handled with probability 2/3; the timeout's event is one the state handles
    Arbitrary<List<Handler>> handlers =
        Combinators.combine(EVENTS.stream().map(e -> handler(e).injectNull(1 / 3.0)).toList())
            .as(hs -> hs.stream().filter(Objects::nonNull).toList());
    return Combinators.combine(
            handlers.flatMap(hs -> timeout(hs).injectNull(0.5).map(t -> Tuple.of(hs, t))),
            Combinators.combine(ints(0, 5), guard().injectNull(0.5))
                .as(Always::new)
                .injectNull(0.8))
        .as((ht, always) -> new State(ht.get1(), ht.get2(), always));
  }

  private static Arbitrary<Timeout> timeout(List<Handler> handled) {
    Arbitrary<Integer> after = ints(1, 15);
    Arbitrary<Timeout> toState =
        Combinators.combine(after, target()).as((s, t) -> new Timeout(s, t, null));
    if (handled.isEmpty()) return toState;
    Arbitrary<Timeout> asEvent =
        Combinators.combine(after, Arbitraries.of(handled).map(Handler::event))
            .as((s, e) -> new Timeout(s, null, e));
    return Arbitraries.oneOf(toState, asEvent);
  }

  private static Arbitrary<Handler> handler(String event) {
    Arbitrary<Move> guarded = Combinators.combine(target(), guard(), bump()).as(Move::new);
    Arbitrary<Move> last =
        Combinators.combine(target(), guard().injectNull(0.5), bump()).as(Move::new);
    return Combinators.combine(guarded.injectNull(0.5), last)
        .as((g, l) -> new Handler(event, g, l));
  }

  private static Arbitrary<Target> target() {
    Arbitrary<Integer> pick = ints(0, 5);
    return Arbitraries.frequencyOf(
        Tuple.of(4, pick.map(p -> new Target(null, p))),
        Tuple.of(1, Arbitraries.of(FINALS).map(f -> new Target(f, 0))));
  }

  private static Arbitrary<String> guard() {
    return Arbitraries.of(GUARDS);
  }

  private static Arbitrary<Boolean> bump() {
    return Arbitraries.of(false, false, true);
  }

  /**
   * One input: after {@code gapMs}, an event to session s{@code session} (id{@code id}, a payload
   * {@code v} unless null, an expected state unless null), or, with no event type, a move of time.
   */
  record Step(long gapMs, int session, int id, String type, Long v, String expectedState) {
    boolean isTime() {
      return type == null;
    }

    @Override
    public String toString() {
      if (isTime()) return "+" + gapMs + "ms time";
      return "+"
          + gapMs
          + "ms s"
          + session
          + " "
          + type
          + " id"
          + id
          + (v == null ? "" : " v=" + v)
          + (expectedState == null ? "" : " expect " + expectedState);
    }
  }

  /**
   * A step placed in time: an event at its timestamp, or (event null) the clock moving to {@code
   * at}.
   */
  record Input(Event event, long at) {}

  /** Schedules of up to {@code max} steps over sessions s0..s2, starting at 1 s. */
  static Arbitrary<List<Step>> schedules(int max) {
    Arbitrary<Long> gap =
        Arbitraries.frequencyOf(
            Tuple.of(1, Arbitraries.just(0L)), Tuple.of(3, ints(0, 5_999).map(Integer::longValue)));
    // Open and Next twice as likely as the rest; Bogus is no protocol's event
    Arbitrary<String> type =
        Arbitraries.of(
                "Open", "Open", "Next", "Next", "E0", "E1", "E2", "E3", "Fail", "Abort", "Bogus")
            .injectNull(1 / 8.0);
    Arbitrary<Step> step =
        Combinators.combine(
                gap,
                ints(0, 2),
                ints(0, 23),
                type,
                ints(0, 2).map(Integer::longValue).injectNull(0.5),
                Arbitraries.of("S0", "S1", "S2").injectNull(0.9))
            .as(Step::new);
    return mostlyFull(step, 1, max);
  }

  static List<Input> inputs(List<Step> steps) {
    List<Input> inputs = new ArrayList<>();
    long t = 1_000;
    for (Step s : steps) {
      t += s.gapMs();
      if (s.isTime()) {
        inputs.add(new Input(null, t));
        continue;
      }
      Event e = Event.of("s" + s.session(), "id" + s.id(), NAME, s.type(), t);
      if (s.v() != null) e = e.withPayload(Map.of("v", s.v()));
      if (s.expectedState() != null) e = e.withExpectedState(s.expectedState());
      inputs.add(new Input(e, t));
    }
    return inputs;
  }
}
