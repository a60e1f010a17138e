package io.statewarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.statewarden.engine.Output;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.PrometheusTextParser.Family;
import io.statewarden.testsupport.PrometheusTextParser.Sample;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class MetricsTest {
  /** What {@code /metrics} writes for these metrics, read back strictly. */
  public static Map<String, Family> scrape(Metrics m) {
    PrometheusRegistry registry = new PrometheusRegistry();
    m.registerTo(registry);
    return PrometheusTextParser.parse(
        new String(PrometheusText.write(registry), StandardCharsets.UTF_8));
  }

  public static double value(
      Map<String, Family> families, String family, Map<String, String> labels) {
    return families.get(family).samples().stream()
        .filter(s -> s.labels().equals(labels))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + family + labels + " in " + families));
  }

  public static double value(Map<String, Family> families, String sample, String... labels) {
    Map<String, String> l = new java.util.TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) l.put(labels[i], labels[i + 1]);
    return families.values().stream()
        .flatMap(f -> f.samples().stream())
        .filter(s -> s.name().equals(sample) && s.labels().equals(l))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + sample + l + " in " + families));
  }

  private static Output.Audit rejected() {
    return new Output.Audit(
        "s", "p", "e", "T", Decision.REJECTED, Reason.STALE_STATE, null, "A", "A", null, 1, null);
  }

  @Test
  void shouldCountDecisionsAndLatenessBuckets() {
    // given
    Metrics m = new Metrics();
    m.record(rejected());
    m.record(rejected());
    m.deadlineFired(0, 70);
    m.deadlineFired(0, 5_000);

    // when
    Map<String, Family> f = scrape(m);

    // then
    assertThat(f.get("statewarden_events_total").type()).isEqualTo("counter");
    assertThat(
            value(f, "statewarden_events_total", "decision", "REJECTED", "reason", "STALE_STATE"))
        .isEqualTo(2);
    assertThat(f.get("statewarden_deadline_lateness_seconds").type()).isEqualTo("histogram");
    String bucket = "statewarden_deadline_lateness_seconds_bucket";
    assertThat(value(f, bucket, "le", "0.05")).isZero();
    assertThat(value(f, bucket, "le", "0.1")).isEqualTo(1);
    assertThat(value(f, bucket, "le", "5.0")).isEqualTo(2);
    assertThat(value(f, bucket, "le", "+Inf")).isEqualTo(2);
    assertThat(value(f, "statewarden_deadline_lateness_seconds_count")).isEqualTo(2);
    assertThat(value(f, "statewarden_deadline_lateness_seconds_sum")).isEqualTo(5.07);
    assertThat(value(f, "statewarden_sessions_quarantined_total")).isZero();
  }

  /**
   * Exemplars are off: with them, every counter's and the histogram's values sampled one (empty,
   * with no tracer) and scheduled a task to take the next one on the client library's own thread, a
   * cost per decision that showed in case 1 (docs/benchmarks.md, issue 16).
   */
  @Test
  void shouldCountWithoutSamplingExemplars() {
    Metrics m = new Metrics();
    for (int i = 0; i < 1_000; i++) {
      m.record(rejected());
      m.record(
          new Output.Transition(
              "s", "p", 1, i, null, "A", Trigger.EVENT, "e", "T", 0, false, null, Map.of(), ""));
      m.record(
          new Output.Backout(
              "s", "p", 1, i, "A", Output.BackoutReason.TIMEOUT, 0L, 0, Map.of(), List.of(), ""));
      m.quarantined();
      m.deadlineFired(0, i);
    }

    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("prometheus-metrics-scheduler"));
    assertThat(value(scrape(m), "statewarden_deadline_lateness_seconds_count")).isEqualTo(1_000);
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

    Map<String, Family> f = scrape(m);
    assertThat(f.get("statewarden_sessions_active").type()).isEqualTo("gauge");
    assertThat(value(f, "statewarden_sessions_active", "protocol", "p", "state", "A")).isEqualTo(4);
    assertThat(value(f, "statewarden_sessions_active", "protocol", "p", "state", "B")).isEqualTo(1);
    assertThat(value(f, "statewarden_deadlines_pending")).isEqualTo(5);
    m.taskClosed("0_0");
    f = scrape(m);
    assertThat(value(f, "statewarden_sessions_active", "protocol", "p", "state", "A")).isEqualTo(1);
    assertThat(f.get("statewarden_sessions_active").samples()).hasSize(1);
    assertThat(value(f, "statewarden_deadlines_pending")).isZero();
  }

  @Test
  void shouldWriteLabelValuesWithQuotesBackslashesAndNewlinesSoTheyReadBack() {
    // given: names a protocol file could hold
    String protocol = "we\"ird\\proto\ncol";
    String state = "C:\\n \"x\"";
    Metrics m = new Metrics();
    m.record(
        new Output.Transition(
            "s",
            protocol,
            1,
            1,
            null,
            state,
            Trigger.EVENT,
            "e",
            "T",
            0,
            false,
            null,
            Map.of(),
            "0/e"));
    m.taskStarted("0_0", () -> 0).add(protocol, state, 1);

    // when
    Map<String, Family> f = scrape(m);

    // then
    assertThat(value(f, "statewarden_transitions_total", "protocol", protocol, "state", state))
        .isEqualTo(1);
    assertThat(value(f, "statewarden_sessions_active", "protocol", protocol, "state", state))
        .isEqualTo(1);
  }
}
