package io.statewarden.engine;

import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.StateDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An operator's migration of the live sessions of {@code protocol@from} to {@code protocol@to}
 * (docs/decisions/0018), as one chunk of it reads from the events topic: a signed record that
 * statewarden's API wrote to each partition ({@code chunk} 0), or a continuation the partition's
 * task wrote back to its own partition ({@code chunk} 1, 2, ...). A session takes the state {@link
 * #target} names; the migration id is remembered like an event id, so a session migrates once.
 *
 * @param id the migration id: the event id of the migration's audit records and transitions
 * @param map state of {@code from} to state of {@code to}; a state not in it keeps its name
 * @param states only sessions in these states of {@code from}; empty: every live state
 * @param ids only these sessions; empty: any
 * @param total the sessions the dry run counted when it was asked for (all partitions), for
 *     progress
 * @param chunkSize the most sessions one chunk migrates (one transaction)
 * @param partition the partition of the events topic this record belongs to
 * @param chunk which chunk of this partition's part this record is (0: the first)
 * @param timestamp the record timestamp: the time of the transitions
 */
public record Migration(
    String id,
    String operator,
    String reason,
    String protocol,
    int from,
    int to,
    Map<String, String> map,
    Set<String> states,
    Set<String> ids,
    long total,
    int chunkSize,
    int partition,
    int chunk,
    long timestamp,
    InputRef input) {

  /** The event type of a migration record; reserved like {@link Command#TYPE}. */
  public static final String TYPE = "statewarden.Migration";

  public Migration {
    map = Map.copyOf(map);
    states = Set.copyOf(states);
    ids = Set.copyOf(ids);
  }

  /** The state of {@code to} a session in {@code state} of {@code from} lands in. */
  public String target(String state) {
    return map.getOrDefault(state, state);
  }

  /** The same migration, as its chunk {@code next} on this partition, stamped {@code at}. */
  public Migration next(int next, long at) {
    return new Migration(
        id, operator, reason, protocol, from, to, map, states, ids, total, chunkSize, partition,
        next, at, null);
  }

  /**
   * The states of {@code from} whose live sessions this migration moves, in name order: {@link
   * #states} when given, else every state that is not final.
   */
  public static List<String> selected(Protocol from, Set<String> states) {
    List<String> out = new ArrayList<>();
    for (StateDef s : new TreeMap<>(from.states()).values()) {
      if (!s.isFinal() && (states.isEmpty() || states.contains(s.name()))) out.add(s.name());
    }
    return out;
  }

  /**
   * What is wrong with migrating {@code from} to {@code to} with {@code map} and the state
   * selection, one line per problem; empty when it can start. A state of the map must be a state of
   * its version; a selected live state of {@code from} that the map does not name must exist in
   * {@code to} under its own name.
   */
  public static List<String> problems(
      Protocol from, Protocol to, Map<String, String> map, Set<String> states) {
    List<String> out = new ArrayList<>();
    if (!from.name().equals(to.name())) {
      out.add("Expected two versions of one protocol, but got " + from.id() + " and " + to.id());
    }
    if (from.version() == to.version()) {
      out.add("Expected two different versions, but both are v" + from.version());
    }
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
      if (!from.states().containsKey(e.getKey())) {
        out.add("map: " + e.getKey() + " is not a state of " + from.id());
      }
      if (!to.states().containsKey(e.getValue())) {
        out.add("map: " + e.getKey() + ": " + e.getValue() + " is not a state of " + to.id());
      }
    }
    for (String s : new TreeSet<>(states)) {
      if (!from.states().containsKey(s)) {
        out.add("state " + s + " is not a state of " + from.id());
      } else if (from.state(s).isFinal()) {
        out.add("state " + s + " is final in " + from.id() + ": final sessions are not migrated");
      }
    }
    List<String> unmapped = new ArrayList<>();
    for (String s : selected(from, states)) {
      if (!map.containsKey(s) && !to.states().containsKey(s)) unmapped.add(s);
    }
    if (!unmapped.isEmpty()) {
      out.add(
          "states "
              + unmapped
              + " of "
              + from.id()
              + " are not in "
              + to.id()
              + " and not in the map: map each to a state of "
              + to.id()
              + " ("
              + String.join(", ", new TreeSet<>(to.states().keySet()))
              + ")");
    }
    return out;
  }

  /** What the audit says of it: the versions, the move, who, why and the migration id. */
  String describe(String fromState, String toState) {
    return "migrate "
        + protocol
        + " v"
        + from
        + " "
        + fromState
        + " -> v"
        + to
        + " "
        + toState
        + " (migration "
        + id
        + ") by "
        + operator
        + ": "
        + reason;
  }

  /** The migration seen as an event of one session, for its audit record. */
  Event asEvent(String sessionId, long at) {
    return new Event(
        sessionId, id, sessionId, protocol, null, TYPE, Map.of(), null, operator, at, input);
  }
}
