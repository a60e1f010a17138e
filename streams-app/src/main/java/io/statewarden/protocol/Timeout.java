package io.statewarden.protocol;

import java.time.Duration;

/**
 * A deadline: {@code after} the state (or session) was entered, go {@code to} a state, or
 * (per-state only) fire the named {@code event} into the session.
 */
public record Timeout(Duration after, String to, String event) {
  public long afterMillis() {
    return after.toMillis();
  }

  public boolean firesEvent() {
    return event != null;
  }
}
