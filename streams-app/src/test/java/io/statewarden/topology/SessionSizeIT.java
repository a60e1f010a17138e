package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live, with the default limits: an event whose {@code set} would grow its session past the
 * changelog producer's 1 MiB ({@code RecordTooLargeException} on the changelog write, a failed and
 * replaced stream thread, the same record again, forever) is rejected LIMIT_EXCEEDED instead; the
 * session keeps its state and the next event is applied.
 */
@ExtendWith(RealKafka.class)
class SessionSizeIT {
  static final String GROW =
      """
      protocol: grow
      version: 1
      initial: INIT
      start: [Open]
      states:
        INIT:
          always: [{to: OPEN, set: {log: "'start'"}}]
        OPEN:
          on:
            Add:
              to: OPEN
              set:
                log: "session.data.log + event.payload.a + event.payload.b + event.payload.c + event.payload.d"
      """;

  /** The longest payload string by default, 3 bytes a character in UTF-8: 192 KiB. */
  static final String CHUNK = "\u20ac".repeat(65_536);

  @TempDir Path dir;

  @Test
  void shouldRejectAnEventThatWouldGrowTheSessionPastTheLimitAndGoOn(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(protocols.resolve("grow.yaml"), GROW);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 1)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      StatewardenApp app = d.start();
      Set<String> threads = threadNames(app);
      long t0 = System.currentTimeMillis();

      // given: a session of 384 KiB of data
      d.sendAvro("g", Deployment.event("g", "open", "grow", "Open", Map.of()), t0);
      d.sendAvro("g", add("two", CHUNK, CHUNK), t0 + 1);
      // when: 768 KiB more would make it 1.1 MiB, past the producer's 1 MiB
      d.sendAvro("g", add("four", CHUNK, CHUNK, CHUNK, CHUNK), t0 + 2);
      // then the next event is applied to the session as it was
      d.sendAvro("g", add("small", "ok"), t0 + 3);

      List<AuditRecord> audits =
          d.awaitAvro(d.topics.audit(), AuditRecord.class, 4, Duration.ofSeconds(60));
      Map<String, AuditRecord> byEvent =
          audits.stream()
              .collect(Collectors.toMap(a -> a.getEventId().toString(), a -> a, (a, b) -> b));
      assertThat(audits).hasSize(4);
      assertThat(byEvent.get("four").getDecision()).isEqualTo(Decision.REJECTED);
      assertThat(byEvent.get("four").getReason()).isEqualTo(RejectReason.LIMIT_EXCEEDED);
      assertThat(byEvent.get("four").getDetail())
          .matches(
              "the move to OPEN would make the session 1[0-9]{6} bytes; the limit is 524288"
                  + " \\(statewarden.session.max.bytes\\)");
      assertThat(byEvent.get("small").getDecision()).isEqualTo(Decision.ACCEPTED);

      List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
      assertThat(ts).extracting(Transition::getSeq).containsExactly(1L, 2L, 3L, 4L);
      assertThat(ts.get(3).getEventId()).isEqualTo("small");
      assertThat(ts.get(3).getData().get("log")).isEqualTo("start" + CHUNK + CHUNK + "ok");
      assertThat(app.isRunning()).isTrue();
      assertThat(threadNames(app)).isEqualTo(threads);
      // a replaced thread may take a free name again: count the failures too
      assertThat(failedThreads(app)).as("stream threads that failed and were replaced").isZero();
    }
  }

  static io.statewarden.schema.ProtocolEvent add(String id, String... parts) {
    String[] keys = {"a", "b", "c", "d"};
    Map<String, Object> payload = new java.util.HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      payload.put(keys[i], i < parts.length ? parts[i] : "");
    }
    return Deployment.event("g", id, "grow", "Add", payload);
  }

  /** Kafka Streams' own count of failed stream threads since the client started. */
  static double failedThreads(StatewardenApp app) {
    List<Double> found =
        app.streams().metrics().values().stream()
            .filter(m -> m.metricName().name().equals("failed-stream-threads"))
            .map(m -> ((Number) m.metricValue()).doubleValue())
            .toList();
    assertThat(found).as("the failed-stream-threads metric").hasSize(1);
    return found.get(0);
  }

  static Set<String> threadNames(StatewardenApp app) {
    return app.streams().metadataForLocalThreads().stream()
        .map(ThreadMetadata::threadName)
        .collect(Collectors.toSet());
  }
}
