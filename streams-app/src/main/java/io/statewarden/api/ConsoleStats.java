package io.statewarden.api;

import io.statewarden.metrics.FireMinutes;
import io.statewarden.metrics.Metrics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Answers {@code GET /stats} for the console: this instance's active sessions by protocol and
 * state, pending deadlines, the deadline lateness histogram, the counters' totals, and how much
 * each counter grew over the last 1, 5 and 15 minutes, from a sample taken every {@value #STEP_MS}
 * ms, and the deadlines fired in each minute of the last hour ({@code fires}: a minute with at
 * least {@link Metrics#stormFires()} fires is a storm). {@link ClusterStats} sums these over
 * instances.
 */
final class ConsoleStats {
  static final long STEP_MS = 10_000;
  private static final int[] WINDOWS_MINUTES = {1, 5, 15};
  private static final int KEEP = (int) (15 * 60_000 / STEP_MS) + 1;

  private record Sample(long at, Map<String, Long> totals) {}

  private final Metrics metrics;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  ConsoleStats(Metrics metrics) {
    this.metrics = metrics;
  }

  synchronized void sample(long now) {
    samples.addLast(new Sample(now, metrics.totals()));
    while (samples.size() > KEEP) samples.removeFirst();
  }

  synchronized Map<String, Object> view(long now) {
    Map<String, Long> totals = metrics.totals();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("now", now);
    v.put("scope", "instance");
    List<Map<String, Object>> active = new ArrayList<>();
    metrics
        .active()
        .forEach(
            (k, n) -> active.add(Map.of("protocol", k.protocol(), "state", k.state(), "count", n)));
    v.put("active", active);
    v.put("pendingDeadlines", metrics.pendingDeadlines());
    List<Map<String, Object>> lateness = new ArrayList<>();
    metrics
        .latenessBuckets()
        .forEach((le, n) -> lateness.add(Map.of("le", le.isInfinite() ? "+Inf" : le, "count", n)));
    v.put("lateness", lateness);
    v.put("totals", totals);
    List<Map<String, Object>> windows = new ArrayList<>();
    for (int minutes : WINDOWS_MINUTES) {
      // the oldest sample within the window (the window is shorter while the instance is young)
      Sample from =
          samples.stream().filter(s -> s.at() >= now - minutes * 60_000L).findFirst().orElse(null);
      if (from == null) continue;
      Map<String, Long> deltas = new LinkedHashMap<>();
      totals.forEach(
          (k, n) -> {
            long d = n - from.totals().getOrDefault(k, 0L);
            if (d > 0) deltas.put(k, d);
          });
      windows.add(
          Map.of("minutes", minutes, "seconds", (now - from.at()) / 1000.0, "deltas", deltas));
    }
    v.put("windows", windows);
    List<Map<String, Object>> minutes = new ArrayList<>();
    for (FireMinutes.Minute m : metrics.firesLastHour(now)) {
      Map<String, Object> minute = new LinkedHashMap<>();
      minute.put("start", m.start());
      minute.put("fired", m.fired());
      minute.put("maxLatenessMs", m.maxLatenessMs());
      minute.put("storm", m.fired() >= metrics.stormFires());
      minutes.add(minute);
    }
    v.put("fires", Map.of("stormFires", metrics.stormFires(), "minutes", minutes));
    return v;
  }
}
