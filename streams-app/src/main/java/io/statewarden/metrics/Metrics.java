package io.statewarden.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.statewarden.engine.Output;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * statewarden's own metrics, shared by the processors of one instance and written by the Prometheus
 * Java client for the HTTP API: events by decision and reason, transitions by protocol and state
 * entered, deadline lateness (wall-clock time a timer took effect minus its deadline), quarantined
 * sessions, pending deadlines and active sessions.
 */
public final class Metrics {
  static final double[] LATENESS_BUCKETS_SECONDS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60};

  // every metric without exemplars: with them, each count sampled one (empty, with no tracer) and
  // scheduled the next sample on the client's own thread (issue 16, MetricsTest)
  private final Counter decisions =
      Counter.builder()
          .withoutExemplars()
          .name("statewarden_events_total")
          .help("Input records and fired deadlines by audit decision and reason.")
          .labelNames("decision", "reason")
          .build();
  private final Counter transitions =
      Counter.builder()
          .withoutExemplars()
          .name("statewarden_transitions_total")
          .help("Transitions by protocol and state entered.")
          .labelNames("protocol", "state")
          .build();
  private final Histogram lateness =
      Histogram.builder()
          .withoutExemplars()
          .name("statewarden_deadline_lateness_seconds")
          .help("Time from a deadline to its timeout taking effect.")
          .classicOnly()
          .classicUpperBounds(LATENESS_BUCKETS_SECONDS)
          .build();
  private final Counter backouts =
      Counter.builder()
          .withoutExemplars()
          .name("statewarden_backouts_total")
          .help("Backouts by protocol and reason.")
          .labelNames("protocol", "reason")
          .build();
  private final Counter quarantined =
      Counter.builder()
          .withoutExemplars()
          .name("statewarden_sessions_quarantined_total")
          .help(
              "Stored sessions that could not be decoded, moved from the sessions store to the"
                  + " dead-letter topic.")
          .build();

  /** Active sessions by protocol and state, per task that owns them on this instance. */
  private final Map<String, Active> activeByTask = new ConcurrentHashMap<>();

  /** Pending deadlines in each task's index on this instance. */
  private final Map<String, IntSupplier> pendingByTask = new ConcurrentHashMap<>();

  public void record(Output o) {
    if (o instanceof Output.Audit a) {
      String reason = a.reason() == null ? "" : a.reason().name();
      decisions.labelValues(String.valueOf(a.decision()), reason).inc();
    } else if (o instanceof Output.Transition t) {
      transitions.labelValues(t.protocol(), t.to()).inc();
    } else if (o instanceof Output.Backout b) {
      backouts.labelValues(b.protocol(), b.reason().name()).inc();
    }
  }

  /** Deadlines fired per minute over the last hour, for the console's timer storms. */
  private final FireMinutes fireMinutes = new FireMinutes();

  /** The fires in one minute at which the console marks it a storm: see {@link #stormFires()}. */
  private final int stormFires;

  /** With the default storm threshold: the default of {@code statewarden.punctuation.max.fires}. */
  public Metrics() {
    this(DEFAULT_STORM_FIRES);
  }

  /** {@code statewarden.punctuation.max.fires}' default (decision 0023). */
  public static final int DEFAULT_STORM_FIRES = 5000;

  /**
   * @param stormFires fired deadlines in one minute on this instance from which the console marks
   *     that minute a timer storm: the instance's {@code statewarden.punctuation.max.fires}, as
   *     many as one punctuation fires before it yields (fewer in a minute, and no punctuation of
   *     this instance can have been cut short by its bound)
   */
  public Metrics(int stormFires) {
    this.stormFires = stormFires;
  }

  /**
   * A deadline took effect at {@code now} (wall clock), {@code latenessMs} after it was due: the
   * lateness histogram and the minute's fire count.
   */
  public void deadlineFired(long now, long latenessMs) {
    lateness.observe(Math.max(0, latenessMs) / 1000.0);
    fireMinutes.record(now, latenessMs);
  }

  /** Deadlines fired on this instance in each minute of the last hour, oldest first. */
  public List<FireMinutes.Minute> firesLastHour(long now) {
    return fireMinutes.lastHour(now);
  }

  /** See {@link #Metrics(int)}. */
  public int stormFires() {
    return stormFires;
  }

  /** A stored session could not be decoded and was moved to the dead-letter topic. */
  public void quarantined() {
    quarantined.inc();
  }

  /** A protocol and one of its states. */
  public record State(String protocol, String state) {}

  /** The active (not final) sessions of one task by protocol and state; its processor counts. */
  public static final class Active implements io.statewarden.state.StoreSessionState.Counts {
    private final Map<State, LongAdder> counts = new ConcurrentHashMap<>();

    /** One more (or, with -1, one less) session in {@code state} of {@code protocol}. */
    @Override
    public void add(String protocol, String state, long n) {
      counts.computeIfAbsent(new State(protocol, state), k -> new LongAdder()).add(n);
    }
  }

  /** A task started: its processor counts its active sessions and keeps its deadline index. */
  public Active taskStarted(String task, IntSupplier pendingDeadlines) {
    Active a = new Active();
    activeByTask.put(task, a);
    pendingByTask.put(task, pendingDeadlines);
    return a;
  }

  /** The task moved to another instance or closed: its sessions are counted there now. */
  public void taskClosed(String task) {
    activeByTask.remove(task);
    pendingByTask.remove(task);
  }

  /**
   * The counters' totals on this instance, for the console: {@code transitions|protocol|state},
   * {@code events|decision|reason} and {@code backouts|protocol|reason}, each to its count.
   */
  public Map<String, Long> totals() {
    Map<String, Long> m = new TreeMap<>();
    total(m, "transitions", transitions, "protocol", "state");
    total(m, "events", decisions, "decision", "reason");
    total(m, "backouts", backouts, "protocol", "reason");
    return m;
  }

  private static void total(Map<String, Long> m, String name, Counter c, String a, String b) {
    c.collect()
        .getDataPoints()
        .forEach(
            d ->
                m.put(
                    name + "|" + d.getLabels().get(a) + "|" + d.getLabels().get(b),
                    (long) d.getValue()));
  }

  /** Active sessions on this instance by protocol and state. */
  public Map<State, Long> active() {
    Map<State, Long> active = new HashMap<>();
    activeByTask
        .values()
        .forEach(a -> a.counts.forEach((k, n) -> active.merge(k, n.sum(), Long::sum)));
    return active;
  }

  /** Pending deadlines in the indexes of this instance's tasks. */
  public long pendingDeadlines() {
    return pendingByTask.values().stream().mapToLong(IntSupplier::getAsInt).sum();
  }

  /** The lateness histogram: each bucket's upper bound in seconds to its (not cumulative) count. */
  public Map<Double, Long> latenessBuckets() {
    Map<Double, Long> m = new LinkedHashMap<>();
    lateness
        .collect()
        .getDataPoints()
        .forEach(
            d ->
                d.getClassicBuckets()
                    .forEach(b -> m.merge(b.getUpperBound(), b.getCount(), Long::sum)));
    return m;
  }

  /**
   * Registers these metrics with {@code registry}, which writes them (see {@link
   * io.statewarden.metrics.PrometheusText}).
   */
  public void registerTo(PrometheusRegistry registry) {
    registry.register(decisions);
    registry.register(transitions);
    registry.register(lateness);
    registry.register(backouts);
    registry.register(quarantined);
    registry.register(
        GaugeWithCallback.builder()
            .name("statewarden_deadlines_pending")
            .help(
                "Sessions with a pending due time (deadline or end of retention) in the deadline"
                    + " indexes of the tasks on this instance.")
            .callback(c -> c.call(pendingDeadlines()))
            .build());
    registry.register(
        GaugeWithCallback.builder()
            .name("statewarden_sessions_active")
            .help("Active (not final) sessions owned by this instance, by protocol and state.")
            .labelNames("protocol", "state")
            .callback(c -> active().forEach((k, n) -> c.call(n, k.protocol(), k.state())))
            .build());
  }
}
