package io.statewarden.protocol;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the graph of a parsed definition: every target exists, every state is reachable, final
 * states are final, named timeout events are handled, {@code always} chains are bounded and a
 * forward-only protocol has no cycle.
 */
final class ProtocolValidator {
  /** The longest chain of {@code always} moves a single input may cause. */
  static final int MAX_ALWAYS_CHAIN = 32;

  private final String file;
  private final Map<String, Integer> lines;
  private final List<Problem> problems = new ArrayList<>();

  ProtocolValidator(String file, Map<String, Integer> lines) {
    this.file = file;
    this.lines = lines;
  }

  List<Problem> validate(Protocol p) {
    Map<String, StateDef> states = p.states();
    target(p, p.initial(), "initial");
    if (p.onError() != null) {
      target(p, p.onError(), "onError");
    }
    if (p.sessionTimeout() != null) {
      target(p, p.sessionTimeout().to(), "sessionTimeout.to");
    }
    for (StateDef s : states.values()) {
      String path = "states." + s.name();
      if (s.isFinal() && (!s.on().isEmpty() || !s.always().isEmpty() || s.timeout() != null)) {
        problem(path, "final state " + s.name() + " has outgoing transitions (on/always/timeout)");
      }
      s.on().forEach((type, candidates) -> candidates(p, candidates, path + ".on." + type));
      candidates(p, s.always(), path + ".always");
      Timeout t = s.timeout();
      if (t != null && t.to() != null) {
        target(p, t.to(), path + ".timeout.to");
      }
      if (t != null && t.event() != null && !s.on().containsKey(t.event())) {
        problem(
            path + ".timeout.event",
            "timeout fires event '"
                + t.event()
                + "' but state "
                + s.name()
                + " has no 'on' for it");
      }
    }
    if (!problems.isEmpty()) {
      return problems; // graph checks need valid targets
    }
    Map<String, Set<String>> edges = edges(p);
    reachability(p, edges);
    alwaysChains(p);
    if (p.forwardOnly()) {
      List<String> cycle = findCycle(edges);
      if (cycle != null) {
        problem("forwardOnly", "forward-only protocol has a cycle: " + String.join(" -> ", cycle));
      }
    }
    return problems;
  }

  private void candidates(Protocol p, List<Candidate> candidates, String path) {
    for (int i = 0; i < candidates.size(); i++) {
      String cpath =
          candidates.size() == 1 && !lines.containsKey(path + "[0]") ? path : path + "[" + i + "]";
      target(p, candidates.get(i).to(), cpath + ".to");
    }
  }

  private void target(Protocol p, String state, String path) {
    if (state != null && !p.states().containsKey(state)) {
      problem(path, "unknown state '" + state + "'");
    }
  }

  /** Every move a session can make, including onError and sessionTimeout from any active state. */
  static Map<String, Set<String>> edges(Protocol p) {
    Map<String, Set<String>> edges = new LinkedHashMap<>();
    for (StateDef s : p.states().values()) {
      Set<String> out = new LinkedHashSet<>();
      s.on().values().forEach(cs -> cs.forEach(c -> out.add(c.to())));
      s.always().forEach(c -> out.add(c.to()));
      if (s.timeout() != null && s.timeout().to() != null) {
        out.add(s.timeout().to());
      }
      if (!s.isFinal()) {
        if (p.onError() != null) {
          out.add(p.onError());
        }
        if (p.sessionTimeout() != null) {
          out.add(p.sessionTimeout().to());
        }
      }
      edges.put(s.name(), out);
    }
    return edges;
  }

  private void reachability(Protocol p, Map<String, Set<String>> edges) {
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(p.initial()));
    while (!todo.isEmpty()) {
      String s = todo.pop();
      if (seen.add(s)) {
        todo.addAll(edges.getOrDefault(s, Set.of()));
      }
    }
    for (String s : p.states().keySet()) {
      if (!seen.contains(s)) {
        problem("states." + s, "state " + s + " is unreachable from initial state " + p.initial());
      }
    }
  }

  private void alwaysChains(Protocol p) {
    Map<String, Set<String>> alwaysEdges = new LinkedHashMap<>();
    p.states()
        .values()
        .forEach(
            s -> {
              Set<String> out = new LinkedHashSet<>();
              s.always().forEach(c -> out.add(c.to()));
              alwaysEdges.put(s.name(), out);
            });
    List<String> cycle = findCycle(alwaysEdges);
    if (cycle != null) {
      problem(
          "states." + cycle.get(0) + ".always",
          "always transitions form a cycle "
              + String.join(" -> ", cycle)
              + "; chains of always moves must end");
      return;
    }
    Map<String, Integer> depth = new HashMap<>();
    for (String s : alwaysEdges.keySet()) {
      int d = longest(s, alwaysEdges, depth);
      if (d > MAX_ALWAYS_CHAIN) {
        problem(
            "states." + s + ".always",
            "a chain of " + d + " always moves starts here; the bound is " + MAX_ALWAYS_CHAIN);
        return;
      }
    }
  }

  private static int longest(String s, Map<String, Set<String>> edges, Map<String, Integer> memo) {
    Integer known = memo.get(s);
    if (known != null) {
      return known;
    }
    int best = 0;
    for (String t : edges.getOrDefault(s, Set.of())) {
      best = Math.max(best, 1 + longest(t, edges, memo));
    }
    memo.put(s, best);
    return best;
  }

  /** A cycle as a list of states (first repeated at the end), or null. Self-loops count. */
  static List<String> findCycle(Map<String, Set<String>> edges) {
    Map<String, Integer> color = new HashMap<>(); // 1 = on stack, 2 = done
    for (String start : edges.keySet()) {
      if (color.containsKey(start)) {
        continue;
      }
      Deque<String> path = new ArrayDeque<>();
      Deque<java.util.Iterator<String>> its = new ArrayDeque<>();
      path.push(start);
      its.push(edges.getOrDefault(start, Set.of()).iterator());
      color.put(start, 1);
      while (!path.isEmpty()) {
        java.util.Iterator<String> it = its.peek();
        if (it.hasNext()) {
          String next = it.next();
          Integer c = color.get(next);
          if (c == null) {
            color.put(next, 1);
            path.push(next);
            its.push(edges.getOrDefault(next, Set.of()).iterator());
          } else if (c == 1) {
            List<String> stack = new ArrayList<>(path);
            java.util.Collections.reverse(stack);
            List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(next), stack.size()));
            cycle.add(next);
            return cycle;
          }
        } else {
          color.put(path.pop(), 2);
          its.pop();
        }
      }
    }
    return null;
  }

  private void problem(String path, String cause) {
    problems.add(new Problem(file, path, lineOf(lines, path), cause));
  }

  /** The line of the path, or of its nearest parent that has one. */
  static int lineOf(Map<String, Integer> lines, String path) {
    String p = path;
    while (true) {
      Integer l = lines.get(p);
      if (l != null) {
        return l;
      }
      int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) {
        return 0;
      }
      p = p.substring(0, cut);
    }
  }
}
