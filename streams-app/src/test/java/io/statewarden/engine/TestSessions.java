package io.statewarden.engine;

import io.statewarden.protocol.Outcome;

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
}
