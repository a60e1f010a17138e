package io.statewarden.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates valid protocol definitions (YAML) and event sequences from a seed: states S0..Sn plus
 * three finals, random guarded moves, per-state timeouts (to a state or a named event), always
 * moves, an optional session timeout, and forward-only graphs when asked.
 */
final class RandomProtocols {
  static final List<String> EVENTS = List.of("E0", "E1", "E2", "E3");
  static final List<String> FINALS = List.of("F_DONE", "F_FAILED", "F_BACKED");
  private static final List<String> GUARDS =
      List.of(
          "event.payload.v == 1",
          "event.payload.v > 1",
          "has(event.payload.v)",
          "session.data.n > 2",
          "session.seq % 2 == 0",
          "event.payload.missing == 1");

  private RandomProtocols() {}

  static String protocol(Random r, String name, boolean forwardOnly) {
    int n = 2 + r.nextInt(5);
    StringBuilder y = new StringBuilder();
    y.append("protocol: ").append(name).append("\nversion: 1\ninitial: S0\nstart: [Open]\n");
    y.append("forwardOnly: ").append(forwardOnly).append('\n');
    if (r.nextBoolean()) y.append("onError: F_FAILED\n");
    if (r.nextBoolean())
      y.append("sessionTimeout: {after: ").append(20 + r.nextInt(60)).append("s, to: F_BACKED}\n");
    y.append("states:\n");
    for (int i = 0; i < n; i++) {
      y.append("  S").append(i).append(":\n    on:\n");
      String next = i + 1 < n ? "S" + (i + 1) : "F_DONE";
      y.append("      Next: {to: ").append(next).append(", set: {n: \"session.seq\"}}\n");
      y.append("      Fail: F_FAILED\n      Abort: F_BACKED\n");
      List<String> handled = new ArrayList<>();
      for (String e : EVENTS) {
        if (r.nextInt(3) == 0) continue;
        handled.add(e);
        int candidates = 1 + r.nextInt(2);
        y.append("      ").append(e).append(":\n");
        for (int c = 0; c < candidates; c++) {
          y.append("        - {to: ").append(target(r, i, n, forwardOnly));
          if (c < candidates - 1 || r.nextBoolean()) {
            y.append(", if: \"").append(GUARDS.get(r.nextInt(GUARDS.size()))).append('"');
          }
          if (r.nextInt(3) == 0) y.append(", set: {n: \"session.seq + 1\"}");
          y.append("}\n");
        }
      }
      int t = r.nextInt(4);
      if (t == 1) {
        y.append("    timeout: {after: ")
            .append(1 + r.nextInt(15))
            .append("s, to: ")
            .append(target(r, i, n, forwardOnly))
            .append("}\n");
      } else if (t == 2 && !handled.isEmpty()) {
        y.append("    timeout: {after: ")
            .append(1 + r.nextInt(15))
            .append("s, event: ")
            .append(handled.get(r.nextInt(handled.size())))
            .append("}\n");
      }
      if (r.nextInt(5) == 0 && i + 1 < n) {
        y.append("    always:\n      - {to: S").append(i + 1 + r.nextInt(n - i - 1));
        if (r.nextBoolean())
          y.append(", if: \"").append(GUARDS.get(r.nextInt(GUARDS.size()))).append('"');
        y.append("}\n");
      }
    }
    y.append(
        "  F_DONE: {final: COMPLETED}\n  F_FAILED: {final: FAILED}\n  F_BACKED: {final: BACKED_OUT}\n");
    return y.toString();
  }

  private static String target(Random r, int i, int n, boolean forwardOnly) {
    if (r.nextInt(5) == 0) return FINALS.get(r.nextInt(FINALS.size()));
    if (forwardOnly) {
      return i + 1 < n ? "S" + (i + 1 + r.nextInt(n - i - 1)) : "F_DONE";
    }
    return "S" + r.nextInt(n);
  }

  /** An input step: an event, or a move of time (null event). */
  record Step(Event event, long advanceTo) {}

  static List<Step> steps(Random r, String protocol, int count) {
    List<Step> steps = new ArrayList<>();
    long t = 1_000;
    List<String> types = new ArrayList<>(EVENTS);
    types.addAll(List.of("Open", "Next", "Next", "Fail", "Abort", "Bogus"));
    for (int i = 0; i < count; i++) {
      t += r.nextInt(4) == 0 ? 0 : r.nextInt(6_000);
      if (r.nextInt(8) == 0) {
        steps.add(new Step(null, t));
        continue;
      }
      String session = "s" + r.nextInt(3);
      String type = i < 2 ? "Open" : types.get(r.nextInt(types.size()));
      Event e = Event.of(session, "id" + r.nextInt(24), protocol, type, t);
      if (r.nextBoolean()) e = e.withPayload(java.util.Map.of("v", (long) r.nextInt(3)));
      if (r.nextInt(10) == 0) e = e.withExpectedState("S" + r.nextInt(3));
      steps.add(new Step(e, t));
    }
    return steps;
  }
}
