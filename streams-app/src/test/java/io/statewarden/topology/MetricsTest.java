package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import org.junit.jupiter.api.Test;

class MetricsTest {
  static String render(Metrics m) {
    StringBuilder b = new StringBuilder();
    m.render(b);
    return b.toString();
  }

  @Test
  void shouldCountDecisionsAndLatenessBuckets() {
    Metrics m = new Metrics();
    m.record(
        new Output.Audit(
            "s",
            "p",
            "e",
            "T",
            Decision.REJECTED,
            Reason.STALE_STATE,
            null,
            "A",
            "A",
            null,
            1,
            null));
    m.record(
        new Output.Audit(
            "s",
            "p",
            "e",
            "T",
            Decision.REJECTED,
            Reason.STALE_STATE,
            null,
            "A",
            "A",
            null,
            1,
            null));
    m.lateness(70);
    m.lateness(5_000);

    String text = render(m);

    assertThat(text)
        .contains("statewarden_events_total{decision=\"REJECTED\",reason=\"STALE_STATE\"} 2")
        .contains("statewarden_deadline_lateness_seconds_bucket{le=\"0.05\"} 0")
        .contains("statewarden_deadline_lateness_seconds_bucket{le=\"0.1\"} 1")
        .contains("statewarden_deadline_lateness_seconds_bucket{le=\"5.0\"} 2")
        .contains("statewarden_deadline_lateness_seconds_bucket{le=\"+Inf\"} 2")
        .contains("statewarden_deadline_lateness_seconds_count 2");
  }

  @Test
  void shouldTrackActiveSessionsPerTaskAndDropATaskThatMovesAway() {
    Metrics m = new Metrics();
    Metrics.Active t0 = m.taskStarted("0_0", () -> 5);
    t0.add("p", "A", 3); // counted from its store on start
    t0.add("p", "A", 1); // a new session
    t0.add("p", "A", -1); // moved on to B
    t0.add("p", "B", 1);
    m.taskStarted("0_1", () -> 0).add("p", "A", 1);

    assertThat(render(m))
        .contains("statewarden_sessions_active{protocol=\"p\",state=\"A\"} 4")
        .contains("statewarden_sessions_active{protocol=\"p\",state=\"B\"} 1")
        .contains("statewarden_deadlines_pending 5\n");
    m.taskClosed("0_0");
    assertThat(render(m))
        .contains("statewarden_sessions_active{protocol=\"p\",state=\"A\"} 1")
        .doesNotContain("state=\"B\"")
        .contains("statewarden_deadlines_pending 0\n");
  }
}
