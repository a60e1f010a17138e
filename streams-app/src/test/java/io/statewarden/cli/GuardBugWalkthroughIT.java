package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.engine.Command;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.DocBlocks;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/operations.md, "A guard bug hit 300 sessions: fix, load v2, retry them", run as printed (its
 * two marked blocks) on the real broker and registry for 300 sessions: every session ends approved
 * under version 2, by one retry each, and running the retry block again applies nothing.
 */
@ExtendWith(RealKafka.class)
class GuardBugWalkthroughIT {
  static final int SESSIONS = 300;
  static final String DOC = "docs/operations.md";
  static final String READ = "read-token-3b8e1f0a";
  static final String OPERATOR = "ops-token-9c2d7e4f16";

  /** refund: v1's guard reads a field no producer sends; v2 fixes it. */
  static final String REFUND =
      """
      protocol: refund
      version: %d
      initial: REQUESTED
      start: [Request]
      onError: CHECK_FAILED
      states:
        REQUESTED:
          timeout: {after: 1h, to: EXPIRED}
          on:
            Approve: {to: APPROVED, if: "%s"}
        APPROVED: {final: COMPLETED}
        CHECK_FAILED: {final: FAILED, retryable: true}
        EXPIRED: {final: BACKED_OUT}
      """;

  @TempDir Path cwd;

  @Test
  void shouldRetryEverySessionTheGuardBugHitOnceAsTheWalkthroughSays(KafkaInfra infra)
      throws Exception {
    // given refund v1 and 300 sessions whose Approve failed on its guard
    Path protocols = Files.createDirectories(cwd.resolve("protocols"));
    Files.writeString(
        protocols.resolve("refund-v1.yaml"),
        REFUND.formatted(1, "event.payload.limit >= event.payload.amount"));
    Files.writeString(cwd.resolve("token"), READ);
    Files.writeString(cwd.resolve("operator-token"), OPERATOR);
    Path people = Files.writeString(cwd.resolve("operators"), "ops:" + OPERATOR + "\n");
    try (Deployment d = new Deployment(infra, cwd.resolve("state"), 4)) {
      d.extra.put(StatewardenConfig.HTTP_TOKEN, READ);
      d.extra.put(StatewardenConfig.HTTP_OPERATOR_TOKENS_FILE, people.toString());
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.start();
      long now = System.currentTimeMillis();
      List<String> ids = IntStream.range(0, SESSIONS).mapToObj(i -> "refund-" + i).toList();
      for (String id : ids) {
        d.sendJson(id, Deployment.json(id, id + "-req", "refund", "Request", "{}"), now);
        d.sendJson(
            id, Deployment.json(id, id + "-ok", "refund", "Approve", "{\"amount\": 10}"), now);
      }
      d.awaitAvro(d.topics.transitions(), Transition.class, 2 * SESSIONS, Duration.ofSeconds(120));

      // when step 1 runs as printed, with v2 written next to v1
      Files.writeString(
          protocols.resolve("refund-v2.yaml"), REFUND.formatted(2, "event.payload.amount <= 1000"));
      Map<String, String> vars =
          Map.of("STATEWARDEN_URL", "http://127.0.0.1:" + d.app().httpPort());
      runBlock("guard-bug-find", vars);

      // then the list holds the 300
      assertThat(Files.readAllLines(cwd.resolve("stuck.txt")))
          .containsExactlyInAnyOrderElementsOf(ids);

      // when the instances are rolled (both versions loaded) and step 3 runs, twice
      d.stop();
      d.start();
      vars = Map.of("STATEWARDEN_URL", "http://127.0.0.1:" + d.app().httpPort());
      runBlock("guard-bug-retry", vars);
      runBlock("guard-bug-retry", vars);

      // then each session is approved once, under v2, by its retry
      List<AuditRecord> commands =
          Awaitility.await()
              .atMost(Duration.ofSeconds(120))
              .until(() -> commandAudits(d), l -> l.size() >= 2 * SESSIONS);
      assertThat(commands).hasSize(2 * SESSIONS);
      assertThat(commands.stream().filter(a -> a.getDecision() == Decision.ACCEPTED))
          .extracting(AuditRecord::getEventId)
          .containsExactlyInAnyOrderElementsOf(ids.stream().map(id -> "retry-v2-" + id).toList());
      assertThat(commands.stream().filter(a -> a.getDecision() == Decision.DUPLICATE))
          .hasSize(SESSIONS);
      assertThat(commands)
          .filteredOn(a -> a.getDecision() == Decision.ACCEPTED)
          .extracting(AuditRecord::getDetail)
          .containsOnly("retry under refund@2 by ops: guard fixed in v2");
      List<Transition> all =
          d.awaitAvro(
              d.topics.transitions(), Transition.class, 4 * SESSIONS, Duration.ofSeconds(120));
      Map<String, List<Transition>> bySession =
          all.stream().collect(Collectors.groupingBy(t -> t.getSessionId().toString()));
      assertThat(bySession).hasSize(SESSIONS);
      bySession.forEach(
          (id, ts) -> {
            assertThat(ts)
                .as(id)
                .extracting(t -> t.getSeq() + ":" + t.getTo() + "@" + t.getProtocolVersion())
                .containsExactly(
                    "1:REQUESTED@1", "2:CHECK_FAILED@1", "3:REQUESTED@2", "4:APPROVED@2");
            assertThat(ts.get(3).getTrigger()).isEqualTo(Trigger.OPERATOR);
          });
    }
  }

  /** Runs each command line of the doc's block {@code name} through the real entry point. */
  void runBlock(String name, Map<String, String> vars) throws Exception {
    for (String line : DocBlocks.commands(DocBlocks.block(DOC, name))) {
      Cli.Run run = sh(line, vars);
      assertThat(run.exit()).as("%s%n%s", line, run.all()).isZero();
      run.assertNoStackTrace();
    }
  }

  /**
   * One command line as a shell in {@link #cwd} would run it: {@code statewarden ARGS}, words in
   * double quotes kept whole, {@code $VAR} and {@code "$VAR"} replaced, {@code < FILE} as standard
   * input and {@code > FILE} taking standard output. Anything more (pipes, loops) fails the test:
   * the doc would then say more than this runs.
   */
  Cli.Run sh(String line, Map<String, String> vars) throws Exception {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
        if (w == null) w = new StringBuilder();
      } else if (c == ' ' && !quoted) {
        if (w != null) words.add(w.toString());
        w = null;
      } else if (c == '$') {
        int end = i + 1;
        while (end < line.length()
            && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) end++;
        String var = line.substring(i + 1, end);
        assertThat(vars).as("variable %s in: %s", var, line).containsKey(var);
        if (w == null) w = new StringBuilder();
        w.append(vars.get(var));
        i = end - 1;
      } else if (!quoted && "|;&`()'".indexOf(c) >= 0) {
        throw new AssertionError("the doc's command uses more shell than this test runs: " + line);
      } else {
        if (w == null) w = new StringBuilder();
        w.append(c);
      }
    }
    if (w != null) words.add(w.toString());
    assertThat(words.get(0)).as(line).isEqualTo("statewarden");
    String stdin = "";
    Path stdout = null;
    List<String> args = new ArrayList<>();
    for (int i = 1; i < words.size(); i++) {
      String word = words.get(i);
      if (word.equals("<")) {
        stdin = Files.readString(cwd.resolve(words.get(++i)), StandardCharsets.UTF_8);
      } else if (word.equals(">")) {
        stdout = cwd.resolve(words.get(++i));
      } else {
        // a file named by a relative path (or a --token-file) is in the working directory, as it
        // would be for a shell there
        boolean file =
            (word.contains("/") && !word.contains("://"))
                || words.get(i - 1).equals("--token-file");
        args.add(file ? cwd.resolve(word).toString() : word);
      }
    }
    Cli.Run run = Cli.run(Main::main, stdin, args.toArray(String[]::new));
    if (stdout != null) Files.writeString(stdout, run.out(), StandardCharsets.UTF_8);
    return run;
  }

  static List<AuditRecord> commandAudits(Deployment d) {
    return d.readAll(d.topics.audit(), AuditRecord.class).stream()
        .filter(a -> Command.TYPE.equals(a.getEventType()))
        .toList();
  }
}
