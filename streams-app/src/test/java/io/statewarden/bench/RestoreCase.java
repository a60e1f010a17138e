package io.statewarden.bench;

import io.statewarden.topology.StatewardenApp;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Case 4: restore onto a wiped instance. Loads the mix ({@code bench.events}, deadlines ~30 min
 * ahead so nothing fires), stops the instance, deletes its state directory, starts it again and
 * times start to RUNNING (group join included; the changelog sizes say what was read).
 */
final class RestoreCase {
  private final Bench b;

  RestoreCase(Bench b) {
    this.b = b;
  }

  void run() throws Exception {
    int events = Bench.intProp("bench.events", 600_000);
    String input = "restore.input";
    b.createTopics(input);
    String appId = b.nextAppId("restore");
    List<Workload.Rec> recs =
        Workload.mix("r-", events, 10_000, 10, System.currentTimeMillis() + 30 * 60_000L, 11);
    long sessions = recs.stream().map(Workload.Rec::key).distinct().count();
    StatewardenApp app = b.startStatewarden(appId, input, Map.of());
    try {
      b.load(input, recs);
      b.awaitCommitted(appId, input, b.endOffsetSum(input), Duration.ofMinutes(20));
    } finally {
      app.close();
    }
    recs = null; // NOPMD
    long sessionsLog = b.endOffsetSum(appId + "-sessions-changelog");
    Bench.deleteTree(b.dir.resolve("state").resolve(appId));
    long t0 = System.nanoTime();
    StatewardenApp again = b.startStatewarden(appId, input, Map.of());
    double secs;
    try {
      Bench.awaitRunning(again.streams(), Duration.ofMinutes(30));
      secs = (System.nanoTime() - t0) / 1e9;
    } finally {
      again.close();
    }
    Bench.table(
        "Restore onto a wiped instance (EOS, 1 thread, 6 tasks)",
        List.of(
            "sessions",
            "changelog records (with transaction markers)",
            "start to RUNNING s",
            "sessions/s",
            "changelog records/s"),
        List.of(
            List.of(
                Bench.f("%,d", sessions),
                Bench.f("%,d", sessionsLog),
                Bench.f("%.1f", secs),
                Bench.f("%,.0f", sessions / secs),
                Bench.f("%,.0f", sessionsLog / secs))));
  }
}
