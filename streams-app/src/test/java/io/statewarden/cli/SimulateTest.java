package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.cli.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's rules and the scenario format as a protocol author meets them: {@code protocols
 * simulate} through the real {@link Main#main}, reading what it prints.
 */
class SimulateTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** CHECK's always guard divides by the event's {@code d}: {@code d = 0} fails to evaluate. */
  static final String DIV =
      """
      protocol: div
      version: 1
      initial: CHECK
      start: [Open]
      states:
        CHECK:
          always:
            - {to: DONE, if: "10 / event.payload.d > 1"}
            - {to: A}
        A:
          on:
            Go: CHECK
        DONE: {final: COMPLETED}
      """;

  static final String DIV_ON_ERROR =
      DIV.replace("initial: CHECK", "initial: CHECK\nonError: FAILED")
          + "  FAILED: {final: FAILED}\n";

  @TempDir Path dir;

  Run simulate(String protocol, String... lines) throws Exception {
    Path p = Files.writeString(dir.resolve("p.yaml"), protocol);
    Path s = Files.writeString(dir.resolve("s.jsonl"), String.join("\n", lines) + "\n");
    return Cli.main("protocols", "simulate", p.toString(), "--events", s.toString())
        .assertNoStackTrace();
  }

  static String event(String id, String session, String type, String payload, long t) {
    return "{\"eventId\":\"%s\",\"sessionId\":\"%s\",\"protocol\":\"div\",\"type\":\"%s\",\"payload\":%s,\"timestamp\":%d}"
        .formatted(id, session, type, payload, t);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> outputs(Run r) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : r.out().lines().toList()) {
      out.add(JSON.readValue(line, Map.class));
    }
    return out;
  }

  static List<Map<String, Object>> of(List<Map<String, Object>> out, String kind, String id) {
    return out.stream()
        .filter(o -> kind.equals(o.get("kind")) && id.equals(o.get("eventId")))
        .toList();
  }

  static Map<String, Object> audit(List<Map<String, Object>> out, String eventId) {
    List<Map<String, Object>> a = of(out, "audit", eventId);
    assertThat(a).as("audit records of %s", eventId).hasSize(1);
    return a.get(0);
  }

  @Nested
  class GuardErrorsInAlwaysMoves {
    @Test
    void shouldRejectTheWholeMoveWhenAnAlwaysGuardFailsWithoutOnError() throws Exception {
      Run r =
          simulate(
              DIV,
              event("e1", "s", "Open", "{\"d\": 100}", 1), // 10 / 100 > 1 is false: to A
              event("e2", "s", "Go", "{\"d\": 0}", 2), // division by zero in CHECK's always
              event("e3", "s", "Go", "{\"d\": 1}", 3));
      assertThat(r.exit()).isZero();
      var out = outputs(r);

      Map<String, Object> rejected = audit(out, "e2");
      assertThat(rejected)
          .containsEntry("decision", "REJECTED")
          .containsEntry("reason", "GUARD_ERROR")
          .containsEntry("stateBefore", "A")
          .containsEntry("stateAfter", "A")
          .containsEntry("seq", null);
      assertThat((String) rejected.get("detail")).contains("always in CHECK").contains("by zero");
      assertThat(of(out, "transition", "e2")).isEmpty();
      // nothing changed: the next event starts from A and seq goes on without a gap
      assertThat(of(out, "transition", "e3"))
          .extracting(t -> t.get("from") + ">" + t.get("to") + "#" + t.get("seq"))
          .containsExactly("A>CHECK#3", "CHECK>DONE#4");
    }

    @Test
    void shouldNotCreateTheSessionWhenTheCreatingMoveFails() throws Exception {
      Run r =
          simulate(
              DIV,
              event("e1", "s", "Open", "{\"d\": 0}", 1),
              event("e2", "s", "Go", "{\"d\": 1}", 2));
      var out = outputs(r);

      assertThat(audit(out, "e1"))
          .containsEntry("decision", "REJECTED")
          .containsEntry("reason", "GUARD_ERROR")
          .containsEntry("stateAfter", null);
      assertThat(of(out, "transition", "e1")).isEmpty();
      assertThat(audit(out, "e2")).containsEntry("reason", "UNKNOWN_SESSION");
    }

    @Test
    void shouldAuditReasonAndMessageWhenOnErrorTakesIt() throws Exception {
      Run r =
          simulate(
              DIV_ON_ERROR,
              event("e1", "s", "Open", "{\"d\": 100}", 1),
              event("e2", "s", "Go", "{\"d\": 0}", 2));
      var out = outputs(r);

      Map<String, Object> a = audit(out, "e2");
      assertThat(a)
          .containsEntry("decision", "ACCEPTED")
          .containsEntry("reason", "GUARD_ERROR")
          .containsEntry("stateAfter", "FAILED");
      assertThat((String) a.get("detail")).contains("always in CHECK").contains("by zero");
      assertThat(of(out, "transition", "e2"))
          .extracting(t -> t.get("to") + "/" + t.get("trigger"))
          .containsExactly("CHECK/EVENT", "FAILED/ERROR");
    }

    @Test
    void shouldUndoADeadlineMoveWhoseAlwaysGuardFailsWithoutOnError() throws Exception {
      String tick =
          DIV.replace("initial: CHECK", "initial: A")
              .replace("start: [Open]", "start: [Go]")
              .replace("  A:\n", "  A:\n    timeout: {after: 1s, to: CHECK}\n");
      Run r =
          simulate(
              tick,
              event("e1", "s", "Go", "{}", 0), // creates the session in A
              "{\"advanceTo\": 1000}", // the timeout's event has no payload: d is missing
              event("e2", "s", "Go", "{\"d\": 1}", 2000));
      var out = outputs(r);

      Map<String, Object> fired =
          out.stream().filter(o -> "DEADLINE_FIRED".equals(o.get("decision"))).findFirst().get();
      assertThat(fired)
          .containsEntry("reason", "GUARD_ERROR")
          .containsEntry("stateBefore", "A")
          .containsEntry("stateAfter", "A")
          .containsEntry("seq", null);
      assertThat((String) fired.get("detail"))
          .contains("always in CHECK")
          .contains("nothing moved, deadline cleared");
      assertThat(out.stream().filter(o -> "TIMEOUT".equals(o.get("trigger")))).isEmpty();
      assertThat(of(out, "transition", "e2"))
          .extracting(t -> t.get("from") + ">" + t.get("to") + "#" + t.get("seq"))
          .containsExactly("A>CHECK#2", "CHECK>DONE#3");
    }
  }

  @Nested
  class ScenarioLines {
    @Test
    void shouldApplyTheRecordKeyOfALine() throws Exception {
      Run r =
          simulate(
              DIV,
              event("e1", "s", "Open", "{\"d\": 100}", 1)
                  .replace("{\"eventId\"", "{\"key\":\"t\",\"eventId\""),
              event("e2", "s", "Open", "{\"d\": 100}", 1)
                  .replace("{\"eventId\"", "{\"key\":null,\"eventId\""));
      assertThat(r.exit()).isZero();
      var out = outputs(r);

      assertThat(audit(out, "e1"))
          .containsEntry("sessionId", "t")
          .containsEntry("decision", "REJECTED")
          .containsEntry("reason", "KEY_MISMATCH");
      assertThat(audit(out, "e2")).containsEntry("reason", "KEY_MISMATCH");
      assertThat(out).noneMatch(o -> "transition".equals(o.get("kind")));
    }

    @Test
    void shouldStopAtAnUnknownField() throws Exception {
      Run r =
          simulate(
              DIV,
              event("e1", "s", "Open", "{\"d\": 100}", 1),
              event("e2", "s", "Go", "{}", 2).replaceFirst("}$", ",\"expectedstate\":\"B\"}"));
      assertThat(r.exit()).isEqualTo(2);
      assertThat(r.err())
          .startsWith(
              dir.resolve("s.jsonl")
                  + ":2: unknown field 'expectedstate'; did you mean 'expectedState'?");
      assertThat(r.out()).contains("\"eventId\":\"e1\"").doesNotContain("\"eventId\":\"e2\"");
    }

    @Test
    void shouldNameFileAndLineOfAMissingRequiredField() throws Exception {
      for (String field : List.of("eventId", "sessionId", "protocol", "type", "timestamp")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> fields = JSON.readValue(event("e1", "s", "Open", "{}", 1), Map.class);
        fields.remove(field);
        String line = JSON.writeValueAsString(fields);
        Run r = simulate(DIV, "# a comment", line);
        assertThat(r.exit()).as(line).isEqualTo(2);
        assertThat(r.err())
            .as(line)
            .startsWith(dir.resolve("s.jsonl") + ":2: missing field '" + field + "'");
      }
    }

    @Test
    void shouldRefuseNumbersALongOrADoubleCannotHold() throws Exception {
      String big = "123456789012345678901234567890";
      assertThat(simulate(DIV, event("e1", "s", "Open", "{\"n\": " + big + "}", 1)).err())
          .isEqualTo(
              dir.resolve("s.jsonl")
                  + ":1: payload.n is "
                  + big
                  + ", out of range: integers are longs (-9223372036854775808 to"
                  + " 9223372036854775807)\n");
      assertThat(simulate(DIV, event("e1", "s", "Open", "{\"x\": -1e400}", 1)).err())
          .isEqualTo(
              dir.resolve("s.jsonl")
                  + ":1: payload.x is out of range: numbers are doubles, at most about 1.8e308"
                  + " in magnitude\n");
      assertThat(simulate(DIV, "{\"advanceTo\": " + big + "}").err())
          .isEqualTo(
              dir.resolve("s.jsonl")
                  + ":1: advanceTo "
                  + big
                  + " is out of range (epoch millis are a long)\n");
    }

    @Test
    void shouldRefuseUnpairedSurrogatesAndKeysGivenTwiceNamingFileAndLine() throws Exception {
      String file = dir.resolve("s.jsonl").toString();
      String ok = event("e1", "s", "Open", "{\"d\": 1}", 1);

      assertThat(simulate(DIV, ok, event("e-\\ud800", "s", "Go", "{}", 2)).err())
          .isEqualTo(
              file
                  + ":2: eventId has an unpaired surrogate at index 2: strings must be Unicode text\n");
      assertThat(simulate(DIV, event("e1", "s", "Open", "{\"n\": \"\\udc00\"}", 1)).err())
          .isEqualTo(
              file
                  + ":1: payload.n has an unpaired surrogate at index 0: strings must be Unicode"
                  + " text\n");
      assertThat(simulate(DIV, ok.replace("{\"eventId\"", "{\"type\":\"Go\",\"eventId\"")).err())
          .isEqualTo(file + ":1: duplicate key 'type': a key may appear once in an object\n");
      assertThat(simulate(DIV, event("e1", "s", "Open", "{\"d\": 1, \"d\": 0}", 1)).err())
          .isEqualTo(
              file + ":1: duplicate key 'd' in payload: a key may appear once in an object\n");
      // a pair is one character, kept as it is
      var out = outputs(simulate(DIV, event("e\\ud83d\\ude00", "s", "Open", "{\"d\": 1}", 1)));
      assertThat(audit(out, "e\ud83d\ude00")).containsEntry("decision", "ACCEPTED");
    }

    @Test
    void shouldNameANestedPayloadValueInJsonTerms() throws Exception {
      var out = outputs(simulate(DIV, event("e1", "s", "Open", "{\"l\": [1, 2]}", 1)));
      assertThat(audit(out, "e1"))
          .containsEntry("reason", "INVALID_EVENT")
          .containsEntry(
              "detail",
              "payload.l is a nested list; payload values are null, boolean, long, double or"
                  + " string");
    }
  }
}
