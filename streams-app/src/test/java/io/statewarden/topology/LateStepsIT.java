package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live: sessions with only a whole-session timeout, and one step each stamped just before the
 * deadline but produced in the window after it, while the deadlines' timer records are being logged
 * and read back. Steps overtake timers without moving the due time (issue 12, item 1). Every
 * session must end exactly once.
 */
@ExtendWith(RealKafka.class)
class LateStepsIT {
  static final int SESSIONS = 150;
  static final long TIMEOUT_MS = 4_000;

  @TempDir Path dir;

  @Test
  void shouldEndEverySessionExactlyOnceWhenLateStepsOvertakeTheirTimers(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(
        protocols.resolve("relay.yaml"),
        EngineProcessorTest.RELAY.replace("after: 10s", "after: 4s"));
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.start();
      long t0 = System.currentTimeMillis();
      for (int i = 0; i < SESSIONS; i++) {
        d.sendAvro("s" + i, Deployment.event("s" + i, "open-" + i, "relay", "Open", Map.of()), t0);
      }
      long deadline = t0 + TIMEOUT_MS;
      Thread.sleep(Math.max(0, deadline - System.currentTimeMillis()));
      // the window after the deadline: timers are being logged, committed and read back
      for (int i = 0; i < SESSIONS; i++) {
        d.sendAvro(
            "s" + i,
            Deployment.event("s" + i, "step-" + i, "relay", "Step", Map.of()),
            deadline - 100);
        Thread.sleep(3);
      }

      d.awaitAvro(d.topics.backouts(), Backout.class, SESSIONS, Duration.ofSeconds(60));
      // anything repeated would arrive within a few commit intervals: the count must hold
      org.awaitility.Awaitility.await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(10))
          .until(() -> d.readAll(d.topics.backouts(), Backout.class).size() == SESSIONS);
      List<Backout> backouts = d.readAll(d.topics.backouts(), Backout.class);
      assertThat(
              backouts.stream()
                  .collect(Collectors.groupingBy(Backout::getSessionId, Collectors.counting())))
          .as("every session backed out once")
          .hasSize(SESSIONS)
          .allSatisfy((id, n) -> assertThat(n).isOne());
      List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
      StatewardenIT.assertGaplessAndUnique(ts);
      assertThat(ts)
          .filteredOn(t -> t.getTrigger() == Trigger.SESSION_TIMEOUT)
          .hasSize(SESSIONS)
          .allSatisfy(t -> assertThat(t.getAt().toEpochMilli()).isEqualTo(deadline));
      List<AuditRecord> audits = d.readAll(d.topics.audit(), AuditRecord.class);
      assertThat(audits)
          .filteredOn(a -> a.getDecision() == Decision.DEADLINE_FIRED)
          .hasSize(SESSIONS);
      assertThat(
              audits.stream()
                  .filter(a -> a.getEventId() != null)
                  .collect(Collectors.groupingBy(AuditRecord::getEventId, Collectors.counting())))
          .as("one audit per input")
          .hasSize(2 * SESSIONS)
          .allSatisfy((id, n) -> assertThat(n).isOne());
      long overtaken =
          ts.stream()
              .filter(t -> "step".equals(String.valueOf(t.getEventId()).split("-")[0]))
              .count();
      System.out.printf(
          "LateStepsIT: %d of %d steps were applied before their session's timer%n",
          overtaken, SESSIONS);
      assertThat(
              ts.stream()
                  .map(Transition::getSessionId)
                  .collect(Collectors.toMap(Function.identity(), x -> 1, Integer::sum)))
          .hasSize(SESSIONS);
    }
  }
}
