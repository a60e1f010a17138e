package io.statewarden.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/**
 * The JSON input's one-pass reader (issue 16) against the tree reader it replaces on the hot path:
 * for any text, events well formed or not (wrong types, lone surrogates, duplicate keys, numbers
 * out of range, bad times, nested values, text after the value, cut short, a byte changed, bytes
 * that are not UTF-8, odd and escaped key names) {@link EventJson#read(byte[], String, Long,
 * InputRef)} gives the same event, payload order included, or the same exception with the same
 * message, as {@code read(parse(json))}; and the one pass reads a good share of them itself.
 */
class EventJsonProperties {
  static final InputRef INPUT = new InputRef("events.json", 3, 42);

  @Property(tries = 2000)
  void shouldReadWhatTheTreeReads(
      @ForAll("documents") String json,
      @ForAll("keys") String key,
      @ForAll("times") Long ts,
      @ForAll("badBytes") int badByteAt) {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    if (badByteAt >= 0 && bytes.length > 0) {
      bytes[badByteAt % bytes.length] = (byte) (badByteAt % 2 == 0 ? 0xFF : 0xC3); // not UTF-8
    }
    Object tree = outcome(() -> EventJson.read(EventJson.parse(bytes), key, ts, INPUT));
    Object onePass = outcome(() -> EventJson.read(bytes, key, ts, INPUT));
    assertThat(onePass).as(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(tree);
    Statistics.label("read in one pass").collect(EventJson.onePass(bytes, key, ts, INPUT) != null);
    Statistics.label("read in one pass").coverage(c -> c.check(true).percentage(p -> p > 5));
  }

  @Test
  void shouldReadTheBenchmarksEventsInOnePass() {
    String json =
        "{\"eventId\":\"s1-0\",\"sessionId\":\"s1\",\"protocol\":\"taleus-listener\","
            + "\"type\":\"InboundContact\",\"source\":\"bench\",\"payload\":{\"peer\":\"p1\","
            + "\"amount\":12,\"rate\":0.5,\"ok\":true,\"note\":null}}";
    Event e = EventJson.onePass(json.getBytes(StandardCharsets.UTF_8), null, 7L, INPUT);
    assertThat(e).isNotNull();
    assertThat(e.sessionId()).isEqualTo("s1");
    assertThat(e.timestamp()).isEqualTo(7L);
    assertThat(e.payload())
        .containsExactly(
            java.util.Map.entry("peer", "p1"),
            java.util.Map.entry("amount", 12L),
            java.util.Map.entry("rate", 0.5),
            java.util.Map.entry("ok", true),
            new java.util.AbstractMap.SimpleEntry<>("note", null));
  }

  /** The event with its payload's order, or the exception's class and message. */
  private static Object outcome(Read r) {
    try {
      Event e = r.read();
      return List.of(e, String.valueOf(e.payload()));
    } catch (Exception e) {
      return List.of(e.getClass().getName(), String.valueOf(e.getMessage()));
    }
  }

  private interface Read {
    Event read() throws Exception;
  }

  /** Mostly none; now and then a byte that is not UTF-8 there, at that index. */
  @Provide
  Arbitrary<Integer> badBytes() {
    return Arbitraries.frequencyOf(
        Tuple.of(12, Arbitraries.just(-1)), Tuple.of(1, Arbitraries.integers().between(0, 300)));
  }

  @Provide
  Arbitrary<String> keys() {
    return Arbitraries.of("k", "s1").injectNull(0.5);
  }

  @Provide
  Arbitrary<Long> times() {
    return Arbitraries.of(1_000L, 1_800_000_000_000L).injectNull(0.3);
  }

  static final List<String> FIELDS =
      List.of(
          "eventId",
          "sessionId",
          "protocol",
          "type",
          "expectedState",
          "source",
          "timestamp",
          "protocolVersion",
          "payload",
          "extra",
          "Timestamp",
          // a lone surrogate in an unknown key; a known key written with an escape
          "x\\ud800",
          "\\u0074imestamp",
          "\\u0073essionId");

  @Provide
  Arbitrary<String> documents() {
    Arbitrary<String> good =
        Combinators.combine(field("eventId"), field("sessionId"), field("type"), field("payload"))
            .as(
                (a, b, c, d) ->
                    "{" + a + "," + b + ",\"protocol\":\"taleus-listener\"," + c + "," + d + "}");
    Arbitrary<String> any =
        Arbitraries.of(FIELDS)
            .flatMap(EventJsonProperties::field)
            .list()
            .ofMaxSize(8)
            .map(fs -> "{" + String.join(",", fs) + "}");
    Arbitrary<String> doc =
        Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(8, good), Tuple.of(3, any), Tuple.of(1, value(2))),
                Arbitraries.frequencyOf(
                    Tuple.of(20, Arbitraries.just("")),
                    Tuple.of(1, Arbitraries.of(" ", "\n ", " x", " {}", "1", ","))))
            .as(String::concat);
    return Combinators.combine(
            doc, Arbitraries.integers().between(0, 1000), Arbitraries.of(0, 0, 0, 0, 0, 0, 1, 2))
        .as(
            (d, at, how) -> {
              int i = d.isEmpty() ? 0 : at % d.length();
              return switch (how) {
                case 1 -> d.substring(0, i); // cut short
                case 2 -> d.substring(0, i) + "\"}:,[0 ".charAt(at % 7) + d.substring(i);
                default -> d;
              };
            });
  }

  static Arbitrary<String> field(String name) {
    Arbitrary<String> v =
        switch (name) {
          case "timestamp", "Timestamp" ->
              Arbitraries.oneOf(
                  Arbitraries.of(
                      "0",
                      "-5",
                      "1000",
                      "9223372036854775807",
                      "9223372036854775808",
                      "1.5",
                      "null",
                      "true",
                      "\"2026-11-27T07:00:00Z\"",
                      "\"2026-11-27T07:00:00.123+01:00\"",
                      "\"2026-13-01T00:00:00Z\"",
                      "\"\\ud800\"",
                      "{}"),
                  value(1));
          case "protocolVersion" ->
              Arbitraries.oneOf(
                  Arbitraries.of(
                      "1", "0", "-1", "2147483647", "2147483648", "\"1\"", "1.0", "null", "[]"),
                  value(0));
          case "payload" -> Arbitraries.frequencyOf(Tuple.of(4, object(3)), Tuple.of(1, value(2)));
          default -> Arbitraries.frequencyOf(Tuple.of(6, string()), Tuple.of(1, value(1)));
        };
    return v.map(x -> string(name) + ":" + x);
  }

  static Arbitrary<String> string() {
    Arbitrary<String> piece =
        Arbitraries.frequencyOf(
            Tuple.of(30, Arbitraries.of("a", "s", "1", "-", "_")),
            Tuple.of(
                2,
                Arbitraries.of(
                    "\\ud800",
                    "\\udc00",
                    "\\ud83d\\ude00",
                    "\\u00e9",
                    "é",
                    "😀",
                    "\\\"",
                    "\\\\",
                    "\\n",
                    "\\u0000")));
    return piece.list().ofMaxSize(8).map(ps -> "\"" + String.join("", ps) + "\"");
  }

  static String string(String s) {
    return "\"" + s + "\"";
  }

  static Arbitrary<String> number() {
    return Arbitraries.oneOf(
        Arbitraries.of(
            "0",
            "-0",
            "-0.0",
            "12",
            "2147483648",
            "-9223372036854775808",
            "9223372036854775808",
            "123456789012345678901234567890",
            "1.5",
            "1e3",
            "1E-320",
            "1e308",
            "1e400",
            "-1e400",
            "0.1",
            "3.141592653589793238462643383279"),
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.doubles()
            .map(String::valueOf)
            .filter(d -> !d.contains("N") && !d.contains("I")));
  }

  static Arbitrary<String> value(int depth) {
    Arbitrary<String> scalar =
        Arbitraries.oneOf(string(), number(), Arbitraries.of("true", "false", "null"));
    if (depth <= 0) return scalar;
    Arbitrary<String> array =
        Arbitraries.lazy(() -> value(depth - 1))
            .list()
            .ofMaxSize(3)
            .map(xs -> "[" + String.join(",", xs) + "]");
    return Arbitraries.frequencyOf(
        Tuple.of(6, scalar), Tuple.of(1, object(depth)), Tuple.of(1, array));
  }

  static Arbitrary<String> object(int depth) {
    Arbitrary<String> entry =
        Combinators.combine(
                Arbitraries.frequencyOf(
                    Tuple.of(8, Arbitraries.of("a", "b", "c", "amount", "peer")),
                    Tuple.of(1, string().map(s -> s.substring(1, s.length() - 1)))),
                Arbitraries.lazy(() -> value(depth - 1)))
            .as((k, x) -> string(k) + ":" + x);
    return entry.list().ofMaxSize(4).map(es -> "{" + String.join(",", new ArrayList<>(es)) + "}");
  }
}
