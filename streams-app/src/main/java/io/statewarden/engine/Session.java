package io.statewarden.engine;

import io.statewarden.protocol.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One session's state: the value kept per session id in the sessions store. The engine works on a
 * copy and hands it back only when something changed. Serialized by {@link SessionCodec}.
 */
public final class Session {
  /** No deadline. */
  public static final long NONE = Long.MIN_VALUE;

  /** The incarnation of a session created before incarnations were recorded (format 1). */
  public static final String LEGACY_INCARNATION = "";

  final String id;

  /**
   * Which life of this session id this is: {@link #incarnation(long, String)} of the event that
   * created it, so that a session id reused after its session was purged starts a new incarnation
   * (decision 12). Decided by the creating input alone, so a replay gives the same value.
   */
  final String incarnation;

  final String protocol;
  final int version;
  String state;
  long seq;
  final long createdAt;
  long enteredAt;
  long stateDeadline = NONE;
  long sessionDeadline = NONE;
  Outcome outcome;
  long closedAt = NONE;

  /** Never mutated in place: a move that sets data replaces the map, so copies can share it. */
  Map<String, Object> data;

  final ArrayDeque<String> eventIds;

  /** The states entered, oldest first, each with its cause; bounded by the history limit. */
  final ArrayDeque<Step> history;

  /**
   * One entry of the history: the state entered and what moved the session there, as its transition
   * record says (trigger, event id and type, time). Entries kept before format 4 of {@link
   * SessionCodec} know only the state: trigger and ids null, {@code at} {@link #NONE}.
   */
  public record Step(
      String state, Output.Trigger trigger, String eventId, String eventType, long at) {
    /** An entry recorded before causes were kept (formats 1 to 3). */
    static Step stateOnly(String state) {
      return new Step(state, null, null, null, NONE);
    }
  }

  /**
   * The last event that failed on a guard or assignment (rejected GUARD_ERROR, or sent to onError),
   * kept for an operator's {@code retry}; null when none, and cleared by every move.
   */
  Failed failed;

  /**
   * An event kept for a retry: its id, type, payload and timestamp, and the state it was applied
   * in.
   */
  public record Failed(
      String eventId, String type, Map<String, Object> payload, long timestamp, String state) {
    public Failed {
      payload = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(payload));
    }
  }

  Session(String id, String protocol, int version, long createdAt) {
    this(id, LEGACY_INCARNATION, protocol, version, createdAt);
  }

  Session(String id, String incarnation, String protocol, int version, long createdAt) {
    this(
        id,
        incarnation,
        protocol,
        version,
        createdAt,
        Map.of(),
        new ArrayDeque<>(),
        new ArrayDeque<>());
  }

  Session(
      String id,
      String incarnation,
      String protocol,
      int version,
      long createdAt,
      Map<String, Object> data,
      ArrayDeque<String> eventIds,
      ArrayDeque<Step> history) {
    this.id = id;
    this.incarnation = incarnation;
    this.protocol = protocol;
    this.version = version;
    this.createdAt = createdAt;
    this.data = data;
    this.eventIds = eventIds;
    this.history = history;
  }

  Session copy() {
    return copy(version);
  }

  /** A copy on protocol version {@code v} (a retry under a newer version). */
  Session copy(int v) {
    Session s =
        new Session(
            id,
            incarnation,
            protocol,
            v,
            createdAt,
            data,
            new ArrayDeque<>(eventIds),
            new ArrayDeque<>(history));
    s.state = state;
    s.seq = seq;
    s.enteredAt = enteredAt;
    s.stateDeadline = stateDeadline;
    s.sessionDeadline = sessionDeadline;
    s.outcome = outcome;
    s.closedAt = closedAt;
    s.failed = failed;
    return s;
  }

  /** The event kept for a retry, or null. */
  public Failed failed() {
    return failed;
  }

  public String id() {
    return id;
  }

  /** See {@link #incarnation(long, String)}; {@link #LEGACY_INCARNATION} for older sessions. */
  public String incarnation() {
    return incarnation;
  }

  /**
   * The incarnation of a session created by an event: its record timestamp (epoch millis) and its
   * event id, as {@code <timestamp>/<eventId>}.
   */
  public static String incarnation(long createdAt, String eventId) {
    return createdAt + "/" + eventId;
  }

  public String protocol() {
    return protocol;
  }

  public int version() {
    return version;
  }

  public String state() {
    return state;
  }

  public long seq() {
    return seq;
  }

  public long createdAt() {
    return createdAt;
  }

  public long enteredAt() {
    return enteredAt;
  }

  /** The pending per-state deadline, or {@link #NONE}. */
  public long stateDeadline() {
    return stateDeadline;
  }

  /** The pending whole-session deadline, or {@link #NONE}. */
  public long sessionDeadline() {
    return sessionDeadline;
  }

  /** null while the session is active. */
  public Outcome outcome() {
    return outcome;
  }

  public boolean isFinal() {
    return outcome != null;
  }

  public long closedAt() {
    return closedAt;
  }

  public Map<String, Object> data() {
    return Collections.unmodifiableMap(data);
  }

  /** The states in the history, oldest first. */
  public List<String> history() {
    return history.stream().map(Step::state).toList();
  }

  /** The history with the cause of each entry, oldest first. */
  public List<Step> timeline() {
    return List.copyOf(history);
  }

  public List<String> eventIds() {
    return List.copyOf(eventIds);
  }

  /** The earliest pending protocol deadline, or {@link #NONE}. */
  public long nextProtocolDeadline() {
    if (stateDeadline == NONE) return sessionDeadline;
    if (sessionDeadline == NONE) return stateDeadline;
    return Math.min(stateDeadline, sessionDeadline);
  }

  List<String> historyForOutput() {
    return new ArrayList<>(history());
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Session s)) return false;
    return version == s.version
        && seq == s.seq
        && createdAt == s.createdAt
        && enteredAt == s.enteredAt
        && stateDeadline == s.stateDeadline
        && sessionDeadline == s.sessionDeadline
        && closedAt == s.closedAt
        && id.equals(s.id)
        && incarnation.equals(s.incarnation)
        && protocol.equals(s.protocol)
        && Objects.equals(state, s.state)
        && outcome == s.outcome
        && Objects.equals(failed, s.failed)
        && data.equals(s.data)
        && List.copyOf(eventIds).equals(List.copyOf(s.eventIds))
        && List.copyOf(history).equals(List.copyOf(s.history));
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, protocol, version, state, seq);
  }

  @Override
  public String toString() {
    return "Session["
        + id
        + " "
        + protocol
        + "@"
        + version
        + " "
        + state
        + " seq="
        + seq
        + (outcome == null ? "" : " " + outcome)
        + " data="
        + data
        + "]";
  }
}
