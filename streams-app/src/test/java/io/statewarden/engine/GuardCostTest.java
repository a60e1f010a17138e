package io.statewarden.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Reason;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A guard's cost is bounded: the producer chooses the payload it iterates over. */
class GuardCostTest {
  static final String NESTED =
      """
      protocol: costly
      version: 1
      initial: A
      start: [Open]
      states:
        A:
          on:
            Go:
              - to: B
                if: "event.payload.all(a, event.payload.all(b, event.payload.all(c, a != '' && b != '' && c != '')))"
        B: {final: COMPLETED}
      """;

  @Test
  void shouldRejectAGuardOverItsIterationBudgetAsAGuardErrorWellUnderASecond() {
    Engine engine = EngineTest.engine(NESTED);
    Session s = engine.onEvent(null, Event.of("s", "e1", "costly", "Open", 1)).session();
    Map<String, Object> payload = new HashMap<>();
    for (int i = 0; i < EngineConfig.DEFAULTS.maxPayloadEntries(); i++) {
      payload.put("k" + i, (long) i);
    }
    Event go = Event.of("s", "e2", "costly", "Go", 2).withPayload(payload);
    engine.onEvent(s, go); // the first run loads classes

    // the evaluating thread's CPU time, not wall time: a busy machine must not decide this test
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long began = threads.getCurrentThreadCpuTime();
    Result r = engine.onEvent(s, go);
    long ms = (threads.getCurrentThreadCpuTime() - began) / 1_000_000;

    Audit a = EngineTest.audit(r);
    assertThat(a.reason()).isEqualTo(Reason.GUARD_ERROR);
    assertThat(a.detail()).contains("Iteration budget exceeded");
    // the session does not move; it keeps the failed event for an operator's retry (decision 16)
    assertThat(r.session().state()).isEqualTo("A");
    assertThat(r.session().seq()).isEqualTo(s.seq());
    assertThat(ms).as("evaluation CPU time, ms (about 15 s without the budget)").isLessThan(500);
  }
}
