package io.statewarden.topology;

import io.statewarden.engine.Output;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * statewarden's own metrics, shared by the processors of one instance and rendered in Prometheus
 * text format by the HTTP API: events by decision and reason, transitions by protocol and state
 * entered, and deadline lateness (wall-clock time a timer took effect minus its deadline).
 */
public final class Metrics {
  static final long[] LATENESS_BUCKETS_MS = {
    10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000
  };

  private final Map<String, LongAdder> decisions = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> transitions = new ConcurrentHashMap<>();
  private final LongAdder[] lateness = new LongAdder[LATENESS_BUCKETS_MS.length + 1];
  private final LongAdder latenessSum = new LongAdder();
  private final LongAdder latenessCount = new LongAdder();
  private final LongAdder quarantined = new LongAdder();

  /** Active sessions by protocol and state, per task that owns them on this instance. */
  private final Map<String, Active> activeByTask = new ConcurrentHashMap<>();

  /** Pending deadlines in each task's index on this instance. */
  private final Map<String, IntSupplier> pendingByTask = new ConcurrentHashMap<>();

  public Metrics() {
    for (int i = 0; i < lateness.length; i++) {
      lateness[i] = new LongAdder();
    }
  }

  void record(Output o) {
    if (o instanceof Output.Audit a) {
      String reason = a.reason() == null ? "" : a.reason().name();
      decisions
          .computeIfAbsent(
              "decision=\"" + a.decision() + "\",reason=\"" + reason + "\"", k -> new LongAdder())
          .increment();
    } else if (o instanceof Output.Transition t) {
      transitions
          .computeIfAbsent(
              "protocol=\"" + t.protocol() + "\",state=\"" + t.to() + "\"", k -> new LongAdder())
          .increment();
    }
  }

  void lateness(long ms) {
    long v = Math.max(0, ms);
    int i = 0;
    while (i < LATENESS_BUCKETS_MS.length && v > LATENESS_BUCKETS_MS[i]) {
      i++;
    }
    lateness[i].increment();
    latenessSum.add(v);
    latenessCount.increment();
  }

  /** A stored session could not be decoded and was moved to the dead-letter topic. */
  void quarantined() {
    quarantined.increment();
  }

  /** A protocol and one of its states. */
  record State(String protocol, String state) {}

  /** The active (not final) sessions of one task by protocol and state; its processor counts. */
  static final class Active implements io.statewarden.state.StoreSessionState.Counts {
    private final Map<State, LongAdder> counts = new ConcurrentHashMap<>();

    /** One more (or, with -1, one less) session in {@code state} of {@code protocol}. */
    @Override
    public void add(String protocol, String state, long n) {
      counts.computeIfAbsent(new State(protocol, state), k -> new LongAdder()).add(n);
    }
  }

  /** A task started: its processor counts its active sessions and keeps its deadline index. */
  Active taskStarted(String task, IntSupplier pendingDeadlines) {
    Active a = new Active();
    activeByTask.put(task, a);
    pendingByTask.put(task, pendingDeadlines);
    return a;
  }

  /** The task moved to another instance or closed: its sessions are counted there now. */
  void taskClosed(String task) {
    activeByTask.remove(task);
    pendingByTask.remove(task);
  }

  /** Prometheus text exposition of these metrics. */
  public void render(StringBuilder b) {
    b.append(
        "# HELP statewarden_events_total Input records and fired deadlines by audit decision and reason.\n");
    b.append("# TYPE statewarden_events_total counter\n");
    decisions.forEach(
        (labels, n) ->
            b.append("statewarden_events_total{")
                .append(labels)
                .append("} ")
                .append(n.sum())
                .append('\n'));
    b.append("# HELP statewarden_transitions_total Transitions by protocol and state entered.\n");
    b.append("# TYPE statewarden_transitions_total counter\n");
    transitions.forEach(
        (labels, n) ->
            b.append("statewarden_transitions_total{")
                .append(labels)
                .append("} ")
                .append(n.sum())
                .append('\n'));
    b.append(
        "# HELP statewarden_deadline_lateness_seconds Time from a deadline to its timeout taking effect.\n");
    b.append("# TYPE statewarden_deadline_lateness_seconds histogram\n");
    long cumulative = 0;
    for (int i = 0; i < lateness.length; i++) {
      cumulative += lateness[i].sum();
      String le =
          i < LATENESS_BUCKETS_MS.length ? String.valueOf(LATENESS_BUCKETS_MS[i] / 1000.0) : "+Inf";
      b.append("statewarden_deadline_lateness_seconds_bucket{le=\"")
          .append(le)
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    b.append("statewarden_deadline_lateness_seconds_sum ")
        .append(latenessSum.sum() / 1000.0)
        .append('\n');
    b.append("statewarden_deadline_lateness_seconds_count ")
        .append(latenessCount.sum())
        .append('\n');
    b.append("# HELP statewarden_sessions_quarantined_total Stored sessions that could not be")
        .append(" decoded, moved from the sessions store to the dead-letter topic.\n");
    b.append("# TYPE statewarden_sessions_quarantined_total counter\n");
    b.append("statewarden_sessions_quarantined_total ").append(quarantined.sum()).append('\n');
    b.append("# HELP statewarden_deadlines_pending Sessions with a pending due time (deadline or")
        .append(" end of retention) in the deadline indexes of the tasks on this instance.\n");
    b.append("# TYPE statewarden_deadlines_pending gauge\n");
    b.append("statewarden_deadlines_pending ")
        .append(pendingByTask.values().stream().mapToLong(IntSupplier::getAsInt).sum())
        .append('\n');
    Map<State, Long> active =
        new java.util.TreeMap<>(
            java.util.Comparator.comparing(State::protocol).thenComparing(State::state));
    activeByTask
        .values()
        .forEach(a -> a.counts.forEach((k, n) -> active.merge(k, n.sum(), Long::sum)));
    b.append(
            "# HELP statewarden_sessions_active Active (not final) sessions owned by this instance,")
        .append(" by protocol and state.\n");
    b.append("# TYPE statewarden_sessions_active gauge\n");
    active.forEach(
        (k, n) ->
            b.append("statewarden_sessions_active{protocol=\"")
                .append(k.protocol())
                .append("\",state=\"")
                .append(k.state())
                .append("\"} ")
                .append(n)
                .append('\n'));
  }
}
