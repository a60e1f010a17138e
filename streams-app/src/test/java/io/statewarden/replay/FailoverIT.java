package io.statewarden.replay;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of one application, each its own JVM; one is killed with SIGKILL during load and
 * started again. A read_committed consumer sees every transition once, seq without gaps, one audit
 * per fired deadline, and every session reaches its end (deadlines that came due while their
 * partition was moving fire after it runs again).
 */
@ExtendWith(RealKafka.class)
class FailoverIT {
  @TempDir Path dir;

  @Test
  void shouldLoseAndRepeatNothingWhenAnInstanceIsKilledUnderLoad(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.copy(
        FailoverIT.class.getResourceAsStream("/replay/replay-test.yaml"),
        protocols.resolve("replay-test.yaml"));
    try (Deployment d = new Deployment(infra, dir.resolve("state-a"), 4)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      Process[] a = {ReplayIT.runJar(d)};
      d.extra.put("state.dir", dir.resolve("state-b").toString());
      Process b = ReplayIT.runJar(d);
      d.extra.put("state.dir", dir.resolve("state-a").toString());
      try {
        ReplayIT.traffic(
            d,
            7,
            () -> {
              try {
                a[0].destroyForcibly().waitFor(); // kill -9 one instance mid-load
                a[0] = ReplayIT.runJar(d);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
        List<Transition> ts = ReplayIT.awaitQuiet(d);

        ReplayIT.assertExactlyOnce(d, ts);
      } finally {
        for (Process p : List.of(a[0], b)) {
          p.destroy();
          p.waitFor(60, TimeUnit.SECONDS);
        }
      }
    }
  }
}
