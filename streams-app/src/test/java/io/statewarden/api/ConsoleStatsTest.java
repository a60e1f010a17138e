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
    m.deadlineFired(0, 70);

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

  @Test
  @SuppressWarnings("unchecked")
  void marksAMinuteWithAtLeastTheStormThresholdOfFiresAsAStorm() {
    // given a threshold of 3 fires a minute (the instance's punctuation.max.fires)
    Metrics m = new Metrics(3);
    ConsoleStats stats = new ConsoleStats(m);
    long minute = 1_800_000_000_000L;
    m.deadlineFired(minute + 1_000, 20);
    m.deadlineFired(minute + 2_000, 20);
    m.deadlineFired(minute + 60_000, 10); // the next minute: 3 fires
    m.deadlineFired(minute + 61_000, 2_500);
    m.deadlineFired(minute + 62_000, 30);

    Map<String, Object> fires = (Map<String, Object>) stats.view(minute + 90_000).get("fires");

    assertThat(fires.get("stormFires")).isEqualTo(3);
    List<Map<String, Object>> minutes = (List<Map<String, Object>>) fires.get("minutes");
    assertThat(minutes).hasSize(60);
    assertThat(minutes.get(59))
        .containsEntry("start", minute + 60_000)
        .containsEntry("fired", 3L)
        .containsEntry("maxLatenessMs", 2_500L)
        .containsEntry("storm", true);
    assertThat(minutes.get(58))
        .containsEntry("fired", 2L)
        .containsEntry("maxLatenessMs", 20L)
        .containsEntry("storm", false);
  }

  @Test
  @SuppressWarnings("unchecked")
  void mergesInstancesIntoClusterTotals() {
    // given two instances, each with its own sessions, counters and fires
    long minute = 1_800_000_000_000L;
    Metrics a = new Metrics(2);
    Metrics b = new Metrics(2);
    ConsoleStats sa = new ConsoleStats(a);
    ConsoleStats sb = new ConsoleStats(b);
    a.taskStarted("0_0", () -> 4).add("p", "A", 2);
    b.taskStarted("0_1", () -> 1).add("p", "A", 3);
    b.taskStarted("0_2", () -> 0).add("p", "B", 1);
    sa.sample(minute);
    sb.sample(minute);
    a.record(backout("p"));
    b.record(backout("p"));
    b.record(rejected(Output.Reason.STALE_STATE));
    a.deadlineFired(minute + 1_000, 70); // one fire on a, one on b: a storm on neither
    b.deadlineFired(minute + 2_000, 3_000);
    b.deadlineFired(minute + 60_000, 1); // two on b in the next minute: a storm on b
    b.deadlineFired(minute + 61_000, 1);
    long now = minute + 70_000;

    // when merged
    Map<String, Object> c =
        ClusterStats.merge(
            List.of(
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .convertValue(sa.view(now), Map.class),
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .convertValue(sb.view(now), Map.class)));

    // then every count is the sum of the instances'
    assertThat(c).containsEntry("scope", "cluster").containsEntry("instances", 2);
    assertThat((List<Object>) c.get("active"))
        .containsExactlyInAnyOrder(
            Map.of("protocol", "p", "state", "A", "count", 5L),
            Map.of("protocol", "p", "state", "B", "count", 1L));
    assertThat(c.get("pendingDeadlines")).isEqualTo(5L);
    assertThat((Map<String, Object>) c.get("totals"))
        .containsEntry("backouts|p|TIMEOUT", 2L)
        .containsEntry("events|REJECTED|STALE_STATE", 1L);
    Map<String, Object> oneMinute = ((List<Map<String, Object>>) c.get("windows")).get(0);
    assertThat((Map<String, Object>) oneMinute.get("deltas"))
        .containsEntry("backouts|p|TIMEOUT", 2L)
        .containsEntry("events|REJECTED|STALE_STATE", 1L);
    assertThat((List<Object>) c.get("lateness"))
        .contains(Map.of("le", 0.1, "count", 1L), Map.of("le", 5.0, "count", 1L));
    List<Map<String, Object>> minutes =
        (List<Map<String, Object>>) ((Map<String, Object>) c.get("fires")).get("minutes");
    assertThat(minutes).hasSize(60);
    assertThat(minutes.get(58))
        .containsEntry("fired", 2L)
        .containsEntry("maxLatenessMs", 3_000L)
        .containsEntry("storm", false);
    assertThat(minutes.get(59)).containsEntry("fired", 2L).containsEntry("storm", true);
  }
}
