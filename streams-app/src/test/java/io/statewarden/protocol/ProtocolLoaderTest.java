package io.statewarden.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtocolLoaderTest {
  static final String VALID =
      """
      protocol: demo
      version: 1
      initial: A
      start: [Open]
      forwardOnly: true
      sessionTimeout: {after: PT30S, to: OUT}
      onError: FAILED
      states:
        A:
          timeout: {after: 500ms, to: OUT}
          on:
            Go: {to: B, set: {role: "event.payload.role"}}
        B:
          on:
            Done:
              - {to: END, if: "session.data.role == 'x'"}
              - FAILED
        END: {final: COMPLETED}
        FAILED: {final: FAILED}
        OUT: {final: BACKED_OUT}
      """;

  static List<Problem> problems(String yaml) {
    ProtocolLoadException e =
        catchThrowableOfType(
            ProtocolLoadException.class, () -> new ProtocolLoader().load("bad.yaml", yaml));
    assertThat(e).as("expected the definition to be refused").isNotNull();
    assertThat(e.problems()).allSatisfy(p -> assertThat(p.file()).isEqualTo("bad.yaml"));
    return e.problems();
  }

  static Problem single(String yaml) {
    List<Problem> ps = problems(yaml);
    assertThat(ps).hasSize(1);
    return ps.get(0);
  }

  @Test
  void shouldLoadTheSpecShape() throws Exception {
    Protocol p = new ProtocolLoader().load("demo.yaml", VALID);

    assertThat(p.id()).isEqualTo("demo@1");
    assertThat(p.sessionTimeout().after()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.state("A").timeout().after()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.state("B").on().get("Done")).hasSize(2);
    assertThat(p.state("B").on().get("Done").get(0).condition().source())
        .isEqualTo("session.data.role == 'x'");
    assertThat(p.state("END").outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(p.maxConcurrentSessions()).isEqualTo(Protocol.UNLIMITED);
    assertThat(p.capPerPartition(12)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void shouldSplitMaxConcurrentSessionsOverPartitionsRoundingUp() throws Exception {
    Protocol p =
        new ProtocolLoader()
            .load(
                "demo.yaml",
                VALID.replace("onError: FAILED", "onError: FAILED\nmaxConcurrentSessions: 100"));

    assertThat(p.maxConcurrentSessions()).isEqualTo(100);
    assertThat(p.capPerPartition(1)).isEqualTo(100);
    assertThat(p.capPerPartition(3)).isEqualTo(34);
    assertThat(p.capPerPartition(200)).isEqualTo(1);
  }

  @Test
  void shouldRefuseUnknownTargetState() {
    Problem p = single(VALID.replace("Go: {to: B,", "Go: {to: BB,"));
    assertThat(p.path()).isEqualTo("states.A.on.Go.to");
    assertThat(p.cause()).contains("unknown state 'BB'");
    assertThat(p.line()).isEqualTo(12);
    assertThat(p.toString()).startsWith("bad.yaml:12: states.A.on.Go.to: unknown state 'BB'");
  }

  @Test
  void shouldRefuseUnreachableState() {
    Problem p = single(VALID + "  LONELY: {final: FAILED}\n");
    assertThat(p.path()).isEqualTo("states.LONELY");
    assertThat(p.cause()).contains("unreachable");
  }

  @Test
  void shouldRefuseCycleInForwardOnlyProtocol() {
    Problem p = single(VALID.replace("- FAILED", "- A"));
    assertThat(p.path()).isEqualTo("forwardOnly");
    assertThat(p.cause()).contains("cycle").contains("A -> B -> A");
  }

  @Test
  void shouldAcceptTheSameCycleWhenNotForwardOnly() throws Exception {
    new ProtocolLoader()
        .load(
            "ok.yaml",
            VALID.replace("- FAILED", "- A").replace("forwardOnly: true", "forwardOnly: false"));
  }

  @Test
  void shouldRefuseSelfLoopInForwardOnlyProtocol() {
    assertThat(single(VALID.replace("- FAILED", "- B")).cause()).contains("B -> B");
  }

  @Test
  void shouldRefuseFinalStateWithOutgoingTransitions() {
    Problem p =
        single(
            VALID.replace("END: {final: COMPLETED}", "END: {final: COMPLETED, on: {X: FAILED}}"));
    assertThat(p.path()).isEqualTo("states.END");
    assertThat(p.cause()).contains("final state END has outgoing transitions");
  }

  @Test
  void shouldRefuseBadExpressions() {
    Problem syntax = single(VALID.replace("session.data.role == 'x'", "session.data.role =="));
    assertThat(syntax.path()).isEqualTo("states.B.on.Done[0].if");
    assertThat(syntax.cause()).contains("bad expression");

    Problem field = single(VALID.replace("session.data.role == 'x'", "session.dta.role == 'x'"));
    assertThat(field.cause()).contains("undefined field 'dta'");

    Problem type = single(VALID.replace("session.data.role == 'x'", "session.seq + 1"));
    assertThat(type.cause()).contains("bool");

    Problem set = single(VALID.replace("event.payload.role", "event.nope"));
    assertThat(set.path()).isEqualTo("states.A.on.Go.set.role");
  }

  @Test
  void shouldRefuseDuplicateNameAndVersion() throws Exception {
    ProtocolCatalog c = ProtocolCatalog.of(new ProtocolLoader().load("a.yaml", VALID));
    Protocol again = new ProtocolLoader().load("b.yaml", VALID);

    assertThatThrownBy(() -> c.add(again))
        .isInstanceOf(ProtocolLoadException.class)
        .hasMessageContaining("b.yaml")
        .hasMessageContaining("demo@1 is already loaded from a.yaml");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "protocol: demo|protocol: Demo_X|protocol|must match",
        "version: 1|version: 0|version|not a positive integer",
        "version: 1|version: one|version|not a positive integer",
        "initial: A|initial: Z|initial|unknown state 'Z'",
        "start: [Open]|start: []|start|empty",
        "forwardOnly: true|forwardOnly: maybe|forwardOnly|not true or false",
        "after: 500ms|after: 5 parsecs|states.A.timeout.after|not a duration",
        "after: 500ms|after: -5s|states.A.timeout.after|not a duration",
        "onError: FAILED|onError: NOPE|onError|unknown state 'NOPE'",
        "forwardOnly: true|maxConcurrentSessions: 0|maxConcurrentSessions|not a positive integer",
        "forwardOnly: true|maxConcurrentSessions: lots|maxConcurrentSessions|not a positive integer",
        "{after: PT30S, to: OUT}|{after: PT30S}|sessionTimeout|needs 'to: STATE'",
        "{after: 500ms, to: OUT}|{after: 500ms, to: OUT, event: Go}|states.A.timeout|both 'to' and 'event'",
        "{after: 500ms, to: OUT}|{after: 500ms, event: Nope}|states.A.timeout.event|no 'on' for it",
        "END: {final: COMPLETED}|END: {final: DONE}|states.END.final|not one of COMPLETED",
        "on:|onn:|states.A.onn|unknown key 'onn'",
        "{to: B, set:|{too: B, set:|states.A.on.Go.too|unknown key 'too'",
      })
  void shouldNameFilePathAndCause(String from, String to, String path, String cause) {
    List<Problem> ps = problems(VALID.replace(from, to));
    assertThat(ps)
        .anySatisfy(
            p -> {
              assertThat(p.path()).isEqualTo(path);
              assertThat(p.cause()).contains(cause);
            });
  }

  @Test
  void shouldReportEveryProblemNotJustTheFirst() {
    List<Problem> ps =
        problems(
            VALID
                .replace("version: 1", "version: x")
                .replace("initial: A", "initial: ")
                .replace("500ms", "soon"));
    assertThat(ps)
        .extracting(Problem::path)
        .contains("version", "initial", "states.A.timeout.after");
  }

  @Test
  void shouldRefuseAlwaysCycles() {
    Problem p =
        single(
            """
            protocol: loop
            version: 1
            initial: A
            start: [Go]
            states:
              A: {always: [{to: B, if: "session.seq < 100"}]}
              B: {always: [{to: A}]}
            """);
    assertThat(p.cause()).contains("always transitions form a cycle");
  }

  @Test
  void shouldRefuseInvalidYamlWithLine() {
    Problem p = single("protocol: x\nversion: 1\nstates: {a: [}\n");
    assertThat(p.cause()).startsWith("not valid YAML");
    assertThat(p.line()).isEqualTo(3);
  }

  @Test
  void shouldRefuseDuplicateKeys() {
    assertThat(problems(VALID.replace("version: 1", "version: 1\nversion: 2")))
        .anySatisfy(p -> assertThat(p.cause()).contains("duplicate key"));
  }

  @Test
  void shouldRefuseNonMappingDocuments() {
    assertThat(single("- a\n- b\n").cause()).contains("expected a mapping");
    assertThat(single("").cause()).contains("empty");
    assertThat(single("just text").cause()).contains("expected a mapping");
  }

  @Test
  void shouldLoadEveryBuiltinProtocol() throws Exception {
    ProtocolCatalog c = ProtocolCatalog.builtins();
    assertThat(c.all())
        .extracting(Protocol::name)
        .containsExactlyElementsOf(ProtocolCatalog.BUILTIN.stream().sorted().toList());
    assertThat(c.latest("coinswap-alice").orElseThrow().states())
        .containsKeys("S0_PRE_INITIALISATION", "S13_TX4_SIG_SENT", "BACKOUT");
    assertThat(c.latest("coinswap-carol").orElseThrow().states())
        .containsKeys("S0_PRE_INITIALISATION", "S10_TX4_BROADCAST");
  }

  @Test
  void shouldResolveBuiltinNamesAndReportMissingFiles() throws Exception {
    assertThat(ProtocolCatalog.resolve("taleus-dialer").name()).isEqualTo("taleus-dialer");
    assertThatThrownBy(() -> ProtocolCatalog.resolve("no/such.yaml"))
        .isInstanceOf(ProtocolLoadException.class)
        .hasMessageContaining("no/such.yaml");
  }
}
