package io.statewarden.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Each built-in protocol, run from a scenario file through the same path as {@code simulate}. */
class BuiltinScenariosTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> simulate(String scenario) throws Exception {
    Simulator sim = new Simulator(new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS));
    StringWriter text = new StringWriter();
    try (InputStream in =
        BuiltinScenariosTest.class.getResourceAsStream("/scenarios/" + scenario)) {
      Scenario.run(sim, scenario, in, new PrintWriter(text));
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : text.toString().split("\n")) {
      if (!line.isBlank()) out.add(JSON.readValue(line, Map.class));
    }
    assertSeqGapless(out);
    return out;
  }

  static void assertSeqGapless(List<Map<String, Object>> out) {
    Map<String, Long> last = new java.util.HashMap<>();
    for (Map<String, Object> o : transitions(out, x -> true)) {
      long seq = ((Number) o.get("seq")).longValue();
      String id = (String) o.get("sessionId");
      assertThat(seq).as("seq of %s", o).isEqualTo(last.getOrDefault(id, 0L) + 1);
      last.put(id, seq);
    }
  }

  static List<Map<String, Object>> kind(
      List<Map<String, Object>> out, String kind, String session) {
    return out.stream()
        .filter(
            o ->
                kind.equals(o.get("kind"))
                    && (session == null || session.equals(o.get("sessionId"))))
        .toList();
  }

  static List<Map<String, Object>> transitions(
      List<Map<String, Object>> out, Predicate<Map<String, Object>> p) {
    return kind(out, "transition", null).stream().filter(p).toList();
  }

  static List<Object> states(List<Map<String, Object>> out, String session) {
    return kind(out, "transition", session).stream().map(t -> t.get("to")).toList();
  }

  static Map<String, Object> last(List<Map<String, Object>> l) {
    return l.get(l.size() - 1);
  }

  @Test
  void shouldCompleteTaleusListenerInFoilRole() throws Exception {
    var out = simulate("taleus-listener-foil.jsonl");

    assertThat(states(out, "L-foil"))
        .containsExactly("L_PROCESS_CONTACT", "L_SEND_RESPONSE", "L_AWAIT_DATABASE", "L_DONE");
    assertThat(last(kind(out, "transition", "L-foil")))
        .containsEntry("outcome", "COMPLETED")
        .containsEntry("final", true);
    assertThat(kind(out, "audit", null))
        .hasSize(4)
        .allSatisfy(a -> assertThat(a).containsEntry("decision", "ACCEPTED"));
  }

  @Test
  void shouldCompleteTaleusListenerInStockRoleDespiteRetry() throws Exception {
    var out = simulate("taleus-listener-stock.jsonl");

    assertThat(states(out, "L-stock"))
        .containsExactly("L_PROCESS_CONTACT", "L_SEND_RESPONSE", "L_DONE");
    assertThat(kind(out, "audit", null))
        .extracting(a -> a.get("decision"))
        .containsExactly("ACCEPTED", "ACCEPTED", "DUPLICATE", "ACCEPTED");
    assertThat(kind(out, "transition", "L-stock").get(0)).containsEntry("at", 1767225600000L);
  }

  @Test
  void shouldBackOutTaleusListenerOnHookAndDatabaseTimeouts() throws Exception {
    var out = simulate("taleus-listener-timeouts.jsonl");

    Map<String, Object> hook = kind(out, "backout", "L-hook").get(0);
    assertThat(hook)
        .containsEntry("stalledState", "L_PROCESS_CONTACT")
        .containsEntry("reason", "TIMEOUT")
        .containsEntry("deadline", 5000);
    assertThat(last(kind(out, "audit", "L-hook")))
        .containsEntry("reason", "SESSION_CLOSED")
        .containsEntry("eventId", "a2");
    Map<String, Object> db = kind(out, "backout", "L-db").get(0);
    assertThat(db).containsEntry("stalledState", "L_AWAIT_DATABASE").containsEntry("at", 12000);
    assertThat(db.get("history"))
        .isEqualTo(
            List.of("L_PROCESS_CONTACT", "L_SEND_RESPONSE", "L_AWAIT_DATABASE", "L_TIMEOUT"));
  }

  @Test
  void shouldRunTaleusDialerBranches() throws Exception {
    var out = simulate("taleus-dialer.jsonl");

    assertThat(states(out, "D-foil"))
        .containsExactly(
            "D_SEND_CONTACT", "D_AWAIT_RESPONSE", "D_HANDLE_RESPONSE", "D_SEND_DATABASE", "D_DONE");
    assertThat(kind(out, "transition", "D-fail"))
        .extracting(t -> t.get("to") + "/" + t.get("trigger"))
        .containsExactly("D_SEND_CONTACT/EVENT", "D_FAILED/ALWAYS");
    assertThat(last(kind(out, "audit", "D-fail"))).containsEntry("reason", "SESSION_CLOSED");
    assertThat(kind(out, "backout", "D-stall"))
        .singleElement()
        .satisfies(
            b ->
                assertThat(b)
                    .containsEntry("stalledState", "D_AWAIT_RESPONSE")
                    .containsEntry("at", 10100));
  }

  @Test
  void shouldLoopConsensusRoundsOnNamedTimeoutEvents() throws Exception {
    var out = simulate("consensus-round.jsonl");

    List<Object> states = states(out, "node-1");
    assertThat(states.subList(0, 10))
        .containsExactly(
            "StateStarting",
            "StateLoading",
            "StateCollecting",
            "StateLivenessCheck",
            "StateLivenessCheck",
            "StateVoting",
            "StateVoting",
            "StateFinalizing",
            "StateVerifying",
            "StateCollecting");
    assertThat(states).endsWith("StateStopping", "StateStopped");
    var timeouts = transitions(out, t -> "TIMEOUT".equals(t.get("trigger")));
    assertThat(timeouts)
        .isNotEmpty()
        .allSatisfy(t -> assertThat((String) t.get("eventType")).startsWith("Event"));
    assertThat(timeouts)
        .extracting(t -> t.get("eventType"))
        .contains("EventLivenessTimeout", "EventCleanupComplete");
    Map<String, Object> stopped = last(kind(out, "transition", "node-1"));
    assertThat(stopped).containsEntry("outcome", "COMPLETED");
    assertThat(((Map<?, ?>) stopped.get("data")).get("votes")).isEqualTo(2);
    assertThat(((Map<?, ?>) stopped.get("data")).get("round"))
        .as("a liveness retry stays in its round")
        .isEqualTo(1);
    assertThat(timeouts)
        .filteredOn(t -> "EventLivenessTimeout".equals(t.get("eventType")))
        .hasSizeGreaterThan(2);
    assertThat(kind(out, "backout", null)).isEmpty();
  }

  @Test
  void shouldRunCoinswapAliceForwardOnlyWithAutoContinueAndStallBackout() throws Exception {
    var out = simulate("coinswap-alice.jsonl");

    List<Object> states = states(out, "swap-1");
    assertThat(states)
        .hasSize(14)
        .startsWith("S0_PRE_INITIALISATION")
        .endsWith("S13_TX4_SIG_SENT")
        .doesNotHaveDuplicates();
    assertThat(kind(out, "transition", "swap-1"))
        .filteredOn(t -> "ALWAYS".equals(t.get("trigger")))
        .extracting(t -> t.get("from") + "->" + t.get("to"))
        .containsExactly("S11_TX5_SIG_RECEIVED->S12_TX5_BROADCAST");
    assertThat(last(kind(out, "transition", "swap-1")).get("data"))
        .isEqualTo(Map.of("amount", 150000));
    assertThat(kind(out, "audit", "swap-2"))
        .extracting(a -> a.get("reason"))
        .contains("INVALID_TRANSITION");
    assertThat(kind(out, "backout", "swap-2"))
        .singleElement()
        .satisfies(
            b ->
                assertThat(b)
                    .containsEntry("stalledState", "S1_HANDSHAKE_COMPLETE")
                    .containsEntry("deadline", 30100));
  }

  @Test
  void shouldRunCoinswapCarolWithEventAndErrorBackouts() throws Exception {
    var out = simulate("coinswap-carol.jsonl");

    assertThat(states(out, "swap-1")).hasSize(11).endsWith("S10_TX4_BROADCAST");
    assertThat(kind(out, "backout", "swap-2"))
        .singleElement()
        .satisfies(
            b ->
                assertThat(b)
                    .containsEntry("reason", "EVENT")
                    .containsEntry("stalledState", "S8_TX5_SIG_SENT"));
    assertThat(kind(out, "backout", "swap-3"))
        .singleElement()
        .satisfies(
            b ->
                assertThat(b)
                    .containsEntry("reason", "ERROR")
                    .containsEntry("stalledState", "S1_HANDSHAKE_COMPLETE"));
    assertThat(last(kind(out, "audit", "swap-3")))
        .containsEntry("reason", "GUARD_ERROR")
        .containsEntry("decision", "ACCEPTED");
  }
}
