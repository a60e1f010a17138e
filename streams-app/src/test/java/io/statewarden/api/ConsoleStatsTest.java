package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Output;
import io.statewarden.metrics.Metrics;
import io.statewarden.metrics.MetricsTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the console's protocols and deadlines pages read: totals, rates over windows, lateness. */
class ConsoleStatsTest {
  static Output.Backout backout(String protocol) {
    return new Output.Backout(
        "s",
        protocol,
        1,
        2,
        "A",
        Output.BackoutReason.TIMEOUT,
        10L,
        10,
        Map.of(),
        List.of("A"),
        "");
  }

  static Output.Audit rejected(Output.Reason reason) {
    return new Output.Audit(
        "s", "p", "e", "T", Output.Decision.REJECTED, reason, null, "A", "A", null, 1, null);
  }

  @Test
  @SuppressWarnings("unchecked")
  void countsBackoutsAndGivesEachWindowItsGrowth() {
    Metrics m = new Metrics();
    ConsoleStats stats = new ConsoleStats(m);
    long t0 = 1_000_000;
    m.record(rejected(Output.Reason.STALE_STATE)); // before the first sample: in no window
    stats.sample(t0);
    m.record(backout("p"));
    for (int i = 0; i < 3; i++) stats.sample(t0 + (i + 1) * ConsoleStats.STEP_MS);
    // 4 minutes later: outside the 1-minute window, inside the 5-minute one
    m.record(rejected(Output.Reason.INVALID_TRANSITION));
    m.record(rejected(Output.Reason.INVALID_TRANSITION));
    stats.sample(t0 + 240_000);
    m.lateness(70);

    Map<String, Object> v = stats.view(t0 + 270_000);

    assertThat(
            MetricsTest.value(
                MetricsTest.scrape(m),
                "statewarden_backouts_total",
                "protocol",
                "p",
                "reason",
                "TIMEOUT"))
        .isEqualTo(1);
    assertThat((Map<String, Object>) v.get("totals"))
        .containsEntry("backouts|p|TIMEOUT", 1L)
        .containsEntry("events|REJECTED|STALE_STATE", 1L)
        .containsEntry("events|REJECTED|INVALID_TRANSITION", 2L);
    List<Object> windows = (List<Object>) v.get("windows");
    Map<String, Object> oneMinute = (Map<String, Object>) windows.get(0);
    Map<String, Object> fiveMinutes = (Map<String, Object>) windows.get(1);
    assertThat(oneMinute.get("minutes")).isEqualTo(1);
    assertThat((Map<String, Object>) oneMinute.get("deltas")).isEmpty();
    assertThat(fiveMinutes.get("seconds")).isEqualTo(270.0);
    assertThat((Map<String, Object>) fiveMinutes.get("deltas"))
        .containsOnly(
            Map.entry("backouts|p|TIMEOUT", 1L),
            Map.entry("events|REJECTED|INVALID_TRANSITION", 2L));
    assertThat((List<Object>) v.get("lateness"))
        .contains(Map.<String, Object>of("le", 0.1, "count", 1L))
        .contains(Map.<String, Object>of("le", 0.05, "count", 0L));
  }
}
