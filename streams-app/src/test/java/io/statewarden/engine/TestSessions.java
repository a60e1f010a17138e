package io.statewarden.engine;

import io.statewarden.protocol.Outcome;
import net.jqwik.api.Arbitrary;

/** Sessions built field by field, for tests of the stores outside this package. */
public final class TestSessions {
  private TestSessions() {}

  /** A session in {@code state} since {@code enteredAt}; final when {@code outcome} is not null. */
  public static Session of(
      String id, String protocol, int version, String state, long enteredAt, Outcome outcome) {
    Session s = new Session(id, protocol, version, enteredAt);
    s.state = state;
    s.seq = 1;
    s.enteredAt = enteredAt;
    s.outcome = outcome;
    if (outcome != null) s.closedAt = enteredAt;
    return s;
  }

  /** {@link Session#equals}, and the data and the kept event's payload in the same order. */
  public static boolean sameInOrder(Session a, Session b) {
    return a.equals(b)
        && java.util.List.copyOf(a.data().keySet()).equals(java.util.List.copyOf(b.data().keySet()))
        && (a.failed() == null
            || java.util.List.copyOf(a.failed().payload().keySet())
                .equals(java.util.List.copyOf(b.failed().payload().keySet())));
  }

  /**
   * Random sessions, every field drawn ({@code SessionCodecProperties}): odd strings, lone
   * surrogates, extreme times, data of every value type, kept events, history with and without
   * causes.
   */
  public static Arbitrary<Session> arbitrary() {
    return SessionCodecProperties.session();
  }
}
