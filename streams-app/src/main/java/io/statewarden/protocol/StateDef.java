package io.statewarden.protocol;

import java.util.List;
import java.util.Map;

/**
 * A state of a protocol: its event transitions ({@code on}), eventless transitions ({@code
 * always}), deadline ({@code timeout}) and, for a final state, its outcome. {@code retryable}: a
 * session sent here by onError may be retried by an operator (docs/decisions/0016).
 */
public record StateDef(
    String name,
    Map<String, List<Candidate>> on,
    List<Candidate> always,
    Timeout timeout,
    Outcome outcome,
    boolean retryable) {

  public StateDef {
    on = Map.copyOf(on);
    always = List.copyOf(always);
  }

  public boolean isFinal() {
    return outcome != null;
  }
}
