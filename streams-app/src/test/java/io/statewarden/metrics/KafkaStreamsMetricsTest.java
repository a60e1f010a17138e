package io.statewarden.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.PrometheusTextParser.Family;
import io.statewarden.testsupport.PrometheusTextParser.Sample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaStreamsMetricsTest {
  @TempDir Path dir;

  private static Map<String, Family> scrape(KafkaStreamsMetrics collector) {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(collector);
    return PrometheusTextParser.parse(
        new String(PrometheusText.write(registry), StandardCharsets.UTF_8));
  }

  private static Metric metric(String group, String name, Object value, Map<String, String> tags) {
    return metric(new MetricName(name, group, "the " + name + " \\ \n metric", tags), value);
  }

  private static Metric metric(MetricName n, Object value) {
    return new Metric() {
      @Override
      public MetricName metricName() {
        return n;
      }

      @Override
      public Object metricValue() {
        return value;
      }
    };
  }

  @Test
  void shouldWriteKafkaTagsWithQuotesBackslashesAndNewlinesSoTheyReadBack() {
    // given
    Map<MetricName, Metric> metrics = new LinkedHashMap<>();
    String client = "app-\"1\"\\x\ny";
    for (Metric m :
        new Metric[] {
          metric("stream-thread-metrics", "process-rate", 2.5, Map.of("thread-id", client)),
          metric("stream-thread-metrics", "process-total", 7.0, Map.of("thread-id", client)),
          metric("stream-thread-metrics", "not-yet", Double.NaN, Map.of()),
          metric("app-info", "version", "4.3.1", Map.of()),
          // the same series once '-' and '.' become '_': the first one stays
          metric("a", "b", 1.0, Map.of("client-id", "c")),
          metric("a", "b", 2.0, Map.of("client.id", "c"))
        }) {
      metrics.put(m.metricName(), m);
    }

    // when
    Map<String, Family> f = scrape(new KafkaStreamsMetrics(() -> metrics));

    // then
    assertThat(f.get("kafka_stream_thread_metrics_process_rate").type()).isEqualTo("gauge");
    assertThat(f.get("kafka_stream_thread_metrics_process_rate").samples())
        .containsExactly(
            new Sample(
                "kafka_stream_thread_metrics_process_rate", Map.of("thread_id", client), 2.5));
    assertThat(f.get("kafka_stream_thread_metrics_process_total").type()).isEqualTo("counter");
    assertThat(f.get("kafka_stream_thread_metrics_process_total").samples())
        .containsExactly(
            new Sample(
                "kafka_stream_thread_metrics_process_total", Map.of("thread_id", client), 7.0));
    assertThat(f.get("kafka_stream_thread_metrics_process_rate").help())
        .isEqualTo("the process-rate \\ \n metric");
    assertThat(f)
        .doesNotContainKeys("kafka_stream_thread_metrics_not_yet", "kafka_app_info_version");
    assertThat(f.get("kafka_a_b").samples()).hasSize(1);
  }

  @Test
  void shouldExposeEveryMetricOfARealKafkaStreamsInstance() {
    // given: an instance that is never started, so needs no broker
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "metrics-test");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    StreamsBuilder b = new StreamsBuilder();
    b.stream("in").to("out");
    try (KafkaStreams streams = new KafkaStreams(b.build(), p)) {
      // its clients add metrics as they try to connect: read them all once
      Map<MetricName, Metric> frozen = new LinkedHashMap<>();
      streams.metrics().forEach((name, m) -> frozen.put(name, metric(name, m.metricValue())));

      // when
      Map<String, Family> f = scrape(new KafkaStreamsMetrics(() -> frozen));

      // then: the dashboard's rate and the names the docs give are there, every family typed
      assertThat(f)
          .containsKeys(
              "kafka_stream_thread_metrics_process_rate",
              "kafka_stream_thread_metrics_process_total");
      long numeric =
          frozen.values().stream()
              .filter(m -> m.metricValue() instanceof Number n && Double.isFinite(n.doubleValue()))
              .count();
      assertThat(f.values().stream().mapToLong(x -> x.samples().size()).sum())
          .as("every finite numeric metric is written")
          .isEqualTo(numeric);
      streams.close(Duration.ZERO);
    }
  }
}
