package io.statewarden.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every numeric metric of a Kafka Streams instance and its clients, named {@code
 * kafka_<group>_<name>} with the tags as labels (characters outside {@code [a-zA-Z0-9_]} become
 * {@code _}, as before the Prometheus client wrote them). A Kafka metric whose name ends in {@code
 * -total} is a cumulative count and becomes a counter (same exposed name, {@code ..._total}); every
 * other one a gauge. Metrics that are not numbers, NaN or infinite are left out, as is a metric
 * whose sanitized name and labels repeat another's.
 */
public final class KafkaStreamsMetrics implements MultiCollector {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaStreamsMetrics.class);
  private static final String TOTAL = "_total";

  private final Supplier<Map<MetricName, ? extends Metric>> metrics;

  public KafkaStreamsMetrics(Supplier<Map<MetricName, ? extends Metric>> metrics) {
    this.metrics = metrics;
  }

  /** Data points of one exposed family. */
  private static final class Family {
    final boolean counter;
    final String help;
    final List<Object> points = new ArrayList<>();
    final Set<Labels> seen = new HashSet<>();

    Family(boolean counter, String help) {
      this.counter = counter;
      this.help = help;
    }
  }

  @Override
  public MetricSnapshots collect() {
    Map<String, Family> families = new LinkedHashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.get().entrySet()) {
      if (!(e.getValue().metricValue() instanceof Number n)
          || Double.isNaN(n.doubleValue())
          || Double.isInfinite(n.doubleValue())) {
        continue;
      }
      MetricName m = e.getKey();
      String exposed = sanitize("kafka_" + m.group() + "_" + m.name());
      boolean counter = exposed.endsWith(TOTAL) && n.doubleValue() >= 0;
      // a counter's family is named without _total; the writer adds it back
      String name = counter ? exposed.substring(0, exposed.length() - TOTAL.length()) : exposed;
      Family f = families.computeIfAbsent(name, k -> new Family(counter, m.description()));
      List<String> labelNames = new ArrayList<>();
      List<String> labelValues = new ArrayList<>();
      m.tags()
          .forEach(
              (k, v) -> {
                labelNames.add(sanitize(k));
                labelValues.add(v);
              });
      Labels labels;
      try {
        labels = Labels.of(labelNames, labelValues);
      } catch (IllegalArgumentException duplicateAfterSanitizing) {
        LOG.debug("Kafka metric {} left out: {}", m, duplicateAfterSanitizing.getMessage());
        continue;
      }
      if (f.counter != counter || !f.seen.add(labels)) {
        LOG.debug("Kafka metric {} left out: its name and labels repeat another's", m);
        continue;
      }
      f.points.add(
          counter
              ? CounterSnapshot.CounterDataPointSnapshot.builder()
                  .value(n.doubleValue())
                  .labels(labels)
                  .build()
              : GaugeSnapshot.GaugeDataPointSnapshot.builder()
                  .value(n.doubleValue())
                  .labels(labels)
                  .build());
    }
    List<MetricSnapshot> snapshots = new ArrayList<>();
    families.forEach(
        (name, f) -> {
          try {
            snapshots.add(snapshot(name, f));
          } catch (IllegalArgumentException notAValidFamily) {
            // e.g. a gauge whose name ends in a suffix Prometheus reserves (_created, _bucket)
            LOG.debug("Kafka metric family {} left out: {}", name, notAValidFamily.getMessage());
          }
        });
    return new MetricSnapshots(snapshots);
  }

  private static MetricSnapshot snapshot(String name, Family f) {
    if (f.counter) {
      CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(f.help);
      f.points.forEach(p -> b.dataPoint((CounterSnapshot.CounterDataPointSnapshot) p));
      return b.build();
    }
    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help);
    f.points.forEach(p -> b.dataPoint((GaugeSnapshot.GaugeDataPointSnapshot) p));
    return b.build();
  }

  static String sanitize(String s) {
    return s.replaceAll("[^a-zA-Z0-9_]", "_");
  }
}
