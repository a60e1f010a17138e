package io.statewarden.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.topology.TimerRecords;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live traffic with 1-2 s deadlines (completions, timeouts, late events racing deadlines,
 * duplicates, rejections), then replays of the events topic compared record by record.
 */
@ExtendWith(RealKafka.class)
public class ReplayIT {
  public static final int SESSIONS = 700;

  @TempDir Path dir;

  public Path protocols(String resource) throws Exception {
    Path d = Files.createDirectories(dir.resolve("protocols-" + resource.replaceAll("\\W", "")));
    Files.copy(
        ReplayIT.class.getResourceAsStream("/replay/" + resource),
        d.resolve("replay-test.yaml"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return d;
  }

  /** Sends a randomized session script per session over a few seconds, in wall-clock time. */
  public static void traffic(Deployment d, long seed, Runnable midway) throws Exception {
    Random r = new Random(seed);
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    List<java.util.concurrent.ScheduledFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < SESSIONS; i++) {
      String id = "rs-" + seed + "-" + i;
      long at = i * 12L; // 700 sessions over 8.4 s
      boolean json = r.nextBoolean();
      List<String[]> steps = new ArrayList<>();
      steps.add(new String[] {"Open", "o", "{}"});
      int kind = r.nextInt(6);
      if (kind > 0) steps.add(new String[] {"Step", "s", "{\"n\":" + r.nextInt(3) + "}"});
      if (kind > 2)
        steps.add(new String[] {"Step", "s", "{\"n\":" + r.nextInt(3) + "}"}); // duplicate id
      if (kind > 3) steps.add(new String[] {"Finish", "f", "{}"});
      if (kind == 5) steps.add(new String[] {"Bogus", "b", "{}"});
      if (r.nextInt(10) == 0) steps.add(new String[] {"Cancel", "c", "{}"});
      long t = at;
      for (String[] step : steps) {
        t += 600 + r.nextInt(900); // around the 1 s and 1.5 s deadlines
        String[] s = step;
        all.add(
            timer.schedule(
                () -> {
                  String event = Deployment.json(id, id + "-" + s[1], "replay-test", s[0], s[2]);
                  if (json) {
                    d.sendJson(id, event, System.currentTimeMillis());
                  } else {
                    d.sendAvro(
                        id,
                        Deployment.event(
                            id,
                            id + "-" + s[1],
                            "replay-test",
                            s[0],
                            s[2].contains("n")
                                ? Map.of("n", (long) (s[2].charAt(5) - '0'))
                                : Map.of()),
                        System.currentTimeMillis());
                  }
                },
                t,
                TimeUnit.MILLISECONDS));
      }
    }
    if (midway != null) {
      timer.schedule(midway, 3_000, TimeUnit.MILLISECONDS).get();
    }
    for (var f : all) f.get();
    timer.shutdown();
  }

  /** Waits until every session is final and the outputs stop growing. */
  public static List<Transition> awaitQuiet(Deployment d) {
    long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    List<Transition> last = List.of();
    while (true) {
      List<Transition> ts = d.readAll(d.topics.transitions(), Transition.class);
      long finals = ts.stream().filter(Transition::getFinal$).count();
      if (finals == SESSIONS && ts.size() == last.size()) {
        return ts;
      }
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "not quiet: "
                + finals
                + " of "
                + SESSIONS
                + " sessions final, "
                + ts.size()
                + " transitions; not final: "
                + ts.stream()
                    .collect(
                        java.util.stream.Collectors.groupingBy(
                            Transition::getSessionId,
                            java.util.stream.Collectors.reducing((a, b) -> b)))
                    .values()
                    .stream()
                    .map(java.util.Optional::get)
                    .filter(t -> !t.getFinal$())
                    .limit(5)
                    .toList());
      }
      last = ts;
      Awaitility.await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
    }
  }

  /**
   * What a read_committed consumer must see after any failover: every session, each transition once
   * with seq gapless from 1, and exactly one audit per fired deadline.
   */
  public static void assertExactlyOnce(Deployment d, List<Transition> ts) {
    assertThat(ts.stream().map(t -> t.getSessionId() + "#" + t.getSeq()).toList())
        .doesNotHaveDuplicates();
    Map<String, List<Long>> seqs =
        ts.stream()
            .collect(
                java.util.stream.Collectors.groupingBy(
                    Transition::getSessionId,
                    java.util.stream.Collectors.mapping(
                        Transition::getSeq, java.util.stream.Collectors.toList())));
    assertThat(seqs).hasSize(SESSIONS);
    seqs.forEach(
        (id, list) ->
            assertThat(list.stream().sorted().toList())
                .as(id)
                .isEqualTo(
                    java.util.stream.LongStream.rangeClosed(1, list.size()).boxed().toList()));
    List<String> fired =
        d.readAll(d.topics.audit(), io.statewarden.schema.AuditRecord.class).stream()
            .filter(a -> a.getDecision() == io.statewarden.schema.Decision.DEADLINE_FIRED)
            .map(a -> a.getSessionId() + "#" + a.getSeq())
            .toList();
    assertThat(fired)
        .as("one audit per fired deadline")
        .doesNotHaveDuplicates()
        .hasSize((int) ts.stream().filter(t -> t.getTrigger().name().endsWith("TIMEOUT")).count());
  }

  record Cli(int exit, String out) {}

  static Cli replay(Deployment d, String... args) {
    List<String> all = new ArrayList<>(List.of("replay"));
    d.settings()
        .forEach(
            (k, v) -> {
              all.add("-D");
              all.add(k + "=" + v);
            });
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        io.statewarden.cli.TestAccess.commandLine()
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(err))
            .execute(all.toArray(String[]::new));
    return new Cli(exit, out + "\n" + err);
  }

  @Test
  void shouldReplayLiveTrafficIdenticallyTwiceAndShowChangedProtocol(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols("replay-test.yaml").toString());
      d.start();
      traffic(d, 1, null);
      List<Transition> live = awaitQuiet(d);
      assertThat(live.size()).isGreaterThan(1_800);
      assertThat(live)
          .anyMatch(t -> "STALLED".equals(t.getTo()))
          .anyMatch(t -> "DONE".equals(t.getTo()))
          .anyMatch(t -> "EXPIRED".equals(t.getTo()))
          .anyMatch(t -> "Tick".equals(t.getEventType()));
      d.stop();
      // the deadlines were logged in batches, each in its task's partition (decision 0023)
      List<org.apache.kafka.clients.consumer.ConsumerRecord<String, Object>> timers =
          OutputReader.readAll(infra.clientConfig(), d.topics.events()).stream()
              .filter(
                  r ->
                      r.value() instanceof io.statewarden.schema.ProtocolEvent e
                          && e.getType().startsWith("statewarden.Deadline"))
              .toList();
      assertThat(timers)
          .isNotEmpty()
          .allSatisfy(
              r -> {
                var e = (io.statewarden.schema.ProtocolEvent) r.value();
                assertThat(e.getType()).isEqualTo(TimerRecords.BATCH_TYPE);
                assertThat(r.key()).isEqualTo("statewarden.timers/" + r.partition());
              })
          .anySatisfy(
              r ->
                  assertThat(
                          ((io.statewarden.schema.ProtocolEvent) r.value())
                              .getPayload()
                              .get("count"))
                      .isNotEqualTo(1L));
      assertThat(timers.stream().map(r -> r.partition()).distinct()).hasSize(3);

      Cli first = replay(d, "--output-prefix", "r1.", "--verify");
      assertThat(first.exit()).as(first.out()).isZero();
      assertThat(first.out()).contains("verify: identical").contains("records done, 0 left");

      Cli second = replay(d, "--output-prefix", "r2.", "--verify", "--compare-prefix", "r1.");
      assertThat(second.exit()).as(second.out()).isZero();

      d.extra.put(
          StatewardenConfig.PROTOCOLS_DIRS,
          protocols("replay-test-v2.yaml.txt").toString() + "," + protocols("replay-test.yaml"));
      Cli changed = replay(d, "--output-prefix", "r3.", "--verify");
      assertThat(changed.exit()).as(changed.out()).isEqualTo(1);
      assertThat(changed.out()).contains("differences").contains("\"protocolVersion\": 2");
    }
  }

  @Test
  void shouldReplayIdenticallyAfterTheProcessorWasKilledDuringTheLiveRun(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols("replay-test.yaml").toString());
      Process[] live = {runJar(d)};
      traffic(
          d,
          2,
          () -> {
            try {
              live[0].destroyForcibly().waitFor(); // kill -9
              live[0] = runJar(d);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      try {
        awaitQuiet(d);
      } finally {
        live[0].destroy();
        live[0].waitFor(60, TimeUnit.SECONDS);
      }
      Cli replayed = replay(d, "--output-prefix", "k1.", "--verify");
      assertThat(replayed.exit()).as(replayed.out()).isZero();
      assertThat(replayed.out()).contains("verify: identical");
    }
  }

  /** The live processor as its own JVM, from the built jar, so it can be killed with SIGKILL. */
  public static Process runJar(Deployment d) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m",
                "-jar",
                Path.of("target/statewarden.jar").toAbsolutePath().toString(),
                "run"));
    d.settings()
        .forEach(
            (k, v) -> {
              cmd.add("-D");
              cmd.add(k + "=" + v);
            });
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(d.stateDir.resolveSibling("live-" + System.nanoTime() + ".log").toFile())
        .start();
  }
}
