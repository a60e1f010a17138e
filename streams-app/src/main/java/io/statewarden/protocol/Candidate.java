package io.statewarden.protocol;

import java.util.Map;

/**
 * One possible move: go {@code to} when {@code condition} holds (or always, when null), applying
 * {@code set} to the session data.
 */
public record Candidate(String to, Expression condition, Map<String, Expression> set) {
  public Candidate {
    set = Map.copyOf(set);
  }

  public static Candidate to(String state) {
    return new Candidate(state, null, Map.of());
  }
}
