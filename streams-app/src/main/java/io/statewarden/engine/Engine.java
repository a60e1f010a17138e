package io.statewarden.engine;

import io.statewarden.engine.Guards.EventView;
import io.statewarden.engine.InputLimits.Rejection;
import io.statewarden.engine.Moves.Cause;
import io.statewarden.engine.Moves.Origin;
import io.statewarden.engine.Moves.TooLarge;
import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The rules of SPEC section 4 (named, not numbered, here: the authoring guide lists them in another
 * order), as pure functions: {@code (session, event) -> result} and {@code (session, now) ->
 * result}. No Kafka, no clock: every time is a record timestamp or a deadline. Never throws for any
 * input; business outcomes are output records. Deadlines are fired by {@link Deadlines}, guards
 * evaluated by {@link Guards}, moves made by {@link Moves}, audit records written by {@link
 * Audits}.
 */
public final class Engine {
  /**
   * The event type reserved for statewarden's timer records (docs/decisions/0004, 0008). The
   * topology hands a validly signed timer to {@link #onTimer}; every event that reaches {@link
   * #onEvent} with this type is rejected {@link Reason#RESERVED_TYPE}.
   */
  public static final String TIMER_TYPE = "statewarden.DeadlineDue";

  /**
   * The event type reserved for statewarden's batched timer records (docs/decisions/0023): one
   * record carries the deadlines a task found due in one punctuation. Reserved like {@link
   * #TIMER_TYPE}.
   */
  public static final String TIMERS_TYPE = "statewarden.DeadlinesDue";

  /**
   * What the session's partition holds now, for the concurrency cap: its live (not final) sessions
   * of a protocol, any version. The topology derives it from the partition's store.
   */
  @FunctionalInterface
  public interface Occupancy {
    long live(String protocol);

    /** Nothing held: no cap can be reached (the simulator, tests of other rules). */
    Occupancy NONE = protocol -> 0;
  }

  private final ProtocolCatalog catalog;
  private final EngineConfig config;
  private final int partitions;
  private final InputLimits limits;
  private final Moves moves;
  private final Deadlines deadlines;
  private final Operators operators;
  private final Migrations migrations;

  public Engine(ProtocolCatalog catalog, EngineConfig config) {
    this(catalog, config, 1);
  }

  /**
   * @param partitions partitions of the events topic: each holds {@code ceil(maxConcurrentSessions
   *     / partitions)} live sessions of a protocol (docs/decisions/0017-concurrency-cap.md)
   */
  public Engine(ProtocolCatalog catalog, EngineConfig config, int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be positive, got " + partitions);
    }
    this.partitions = partitions;
    this.catalog = catalog;
    this.config = config;
    this.limits = new InputLimits(config);
    this.moves = new Moves(config);
    this.deadlines = new Deadlines(moves);
    this.operators = new Operators(catalog, moves);
    this.migrations = new Migrations(moves);
  }

  public ProtocolCatalog catalog() {
    return catalog;
  }

  /**
   * When {@link #onTime} must next be called for this session: its earliest protocol deadline, or
   * for a final session the end of its retention. {@link Session#NONE} when there is nothing.
   */
  public long dueAt(Session session) {
    if (session.isFinal()) {
      return session.closedAt + config.retention().toMillis();
    }
    return session.nextProtocolDeadline();
  }

  /** Fires every deadline due at {@code now}; purges a final session whose retention ended. */
  public Result onTime(Session current, long now) {
    long due = dueAt(current);
    if (due == Session.NONE || due > now) {
      return new Result(current, false, List.of());
    }
    if (current.isFinal()) {
      return new Result(null, true, List.of());
    }
    List<Output> out = new ArrayList<>(4);
    Session session = deadlines.fireDue(protocolOf(current), current.copy(), now, out);
    return new Result(session, true, out);
  }

  /**
   * Applies a logged timer: a timer stamped {@code deadline} says that time reached {@code
   * deadline} with nothing before it in the log. If the session is due at or before that time, what
   * is due fires now, whatever moved the session since the timer was written (an event stamped
   * before the deadline may overtake the timer without changing the due time). If the session is no
   * longer due by then (its deadline moved later, or it is gone), the timer is inert: no output,
   * and the later due time is already pending again. This is how the log, not the wall clock,
   * decides when a deadline fired (docs/decisions/0004 and 0006).
   */
  public Result onTimer(Session current, long deadline) {
    if (current == null) {
      return new Result(null, false, List.of());
    }
    long due = dueAt(current);
    if (due == Session.NONE || due > deadline) {
      return new Result(current, false, List.of());
    }
    return onTime(current, deadline);
  }

  /** Applies one input event to its session ({@code current} null when the session is unknown). */
  public Result onEvent(Session current, Event event) {
    return onEvent(current, event, Occupancy.NONE);
  }

  /**
   * As {@link #onEvent(Session, Event)}, with what the partition holds: a creating event beyond the
   * protocol's share of {@code maxConcurrentSessions} is rejected {@link Reason#CONCURRENCY_LIMIT}.
   */
  public Result onEvent(Session current, Event event, Occupancy occupancy) {
    List<Output> out = new ArrayList<>(4);
    if (TIMER_TYPE.equals(event.type())
        || TIMERS_TYPE.equals(event.type())
        || Command.TYPE.equals(event.type())
        || Migration.TYPE.equals(event.type())) {
      // before anything else, deadlines due by its timestamp included: it changes no session
      out.add(
          Audits.reject(
              event,
              current,
              Reason.RESERVED_TYPE,
              "Expected a record signed by statewarden (statewarden.mac), but this"
                  + " record of type "
                  + event.type()
                  + " is not one; the type is reserved"));
      return new Result(current, false, out);
    }
    Optional<Rejection> invalid = limits.check(event);
    if (invalid.isPresent()) {
      out.add(Audits.reject(event, null, invalid.get().reason(), invalid.get().detail()));
      return new Result(current, false, out);
    }
    if (current == null) {
      return create(event, occupancy, out);
    }
    Protocol protocol = protocolOf(current);
    long next = current.nextProtocolDeadline();
    boolean fired = next != Session.NONE && next <= event.timestamp() && !current.isFinal();
    // deadlines before late events: what is due by the event's timestamp fires first
    Session session =
        fired ? deadlines.fireDue(protocol, current.copy(), event.timestamp(), out) : current;
    Optional<Audit> refused = refusal(protocol, session, event);
    if (refused.isPresent()) {
      out.add(refused.get());
      return unchanged(current, session, out);
    }
    EventView view = EventView.of(event);
    Candidate chosen;
    Map<String, Object> data;
    try {
      chosen = Guards.choose(protocol.state(session.state).on().get(event.type()), view, session);
      data = chosen == null ? null : Guards.assign(chosen, view, session);
    } catch (EvaluationException ex) {
      return guardError(protocol, current, session, event, view, ex, out);
    }
    if (chosen == null) {
      String detail =
          "Expected a guard of "
              + event.type()
              + " in state "
              + session.state
              + " to hold, but none did";
      out.add(Audits.reject(event, session, Reason.NO_GUARD_MATCHED, detail));
      return unchanged(current, session, out);
    }
    Session moved = session.copy(); // the move works on its own copy: undone by dropping it
    remember(moved, event.eventId());
    Origin origin = new Origin(session.state, BackoutReason.EVENT, null);
    try {
      String error =
          moves.follow(protocol, moved, chosen.to(), data, causeOf(event), origin, view, out);
      Reason reason = error == null ? null : Reason.GUARD_ERROR;
      if (error != null) {
        moved.failed = failed(event, session);
      }
      out.add(Audits.accepted(event, session, moved, reason, error));
      return new Result(moved, true, out);
    } catch (EvaluationException | TooLarge ex) {
      out.add(Audits.reject(event, session, Moves.reasonOf(ex), ex.getMessage()));
      return unchanged(current, session, out);
    }
  }

  /**
   * A rejected (or duplicate) event changes nothing; deadlines that fired before it stand ({@code
   * session} is then the engine's copy with them applied, else {@code current} itself).
   */
  private static Result unchanged(Session current, Session session, List<Output> out) {
    return session == current ? new Result(current, false, out) : new Result(session, true, out);
  }

  private static Cause causeOf(Event event) {
    return new Cause(Trigger.EVENT, event.eventId(), event.type(), event.timestamp());
  }

  // ---- creation ----

  private Result create(Event event, Occupancy occupancy, List<Output> out) {
    Optional<Protocol> found =
        event.protocolVersion() == null
            ? catalog.latest(event.protocol())
            : catalog.get(event.protocol(), event.protocolVersion());
    String refused = null;
    Reason reason = null;
    if (found.isEmpty()) {
      reason = Reason.UNKNOWN_PROTOCOL;
      refused =
          "No protocol "
              + (event.protocolVersion() == null
                  ? event.protocol()
                  : event.protocol() + " v" + event.protocolVersion())
              + " is loaded";
    } else if (!found.get().start().contains(event.type())) {
      reason = Reason.UNKNOWN_SESSION;
      refused =
          "Expected a start event "
              + new TreeSet<>(found.get().start())
              + " for unknown session, but got "
              + event.type();
    } else if (event.expectedState() != null) {
      reason = Reason.STALE_STATE;
      refused = "Expected state " + event.expectedState() + ", but the session does not exist yet";
    } else {
      int cap = found.get().capPerPartition(partitions);
      long held = occupancy.live(found.get().name());
      if (held >= cap) {
        reason = Reason.CONCURRENCY_LIMIT;
        refused =
            "Expected fewer than "
                + cap
                + " live sessions of "
                + found.get().name()
                + " in this partition (maxConcurrentSessions "
                + found.get().maxConcurrentSessions()
                + " over "
                + partitions
                + " partitions), but it holds "
                + held;
      }
    }
    if (reason != null) {
      out.add(Audits.reject(event, null, reason, refused));
      return new Result(null, false, out);
    }
    Protocol protocol = found.get();
    Session session =
        new Session(
            event.sessionId(),
            Session.incarnation(event.timestamp(), event.eventId()),
            protocol.name(),
            protocol.version(),
            event.timestamp());
    if (protocol.sessionTimeout() != null) {
      session.sessionDeadline = event.timestamp() + protocol.sessionTimeout().afterMillis();
    }
    remember(session, event.eventId());
    Origin origin = new Origin(protocol.initial(), BackoutReason.EVENT, null);
    try {
      String error =
          moves.follow(
              protocol,
              session,
              protocol.initial(),
              session.data,
              causeOf(event),
              origin,
              EventView.of(event),
              out);
      Reason guardError = error == null ? null : Reason.GUARD_ERROR;
      out.add(Audits.accepted(event, null, session, guardError, error));
      return new Result(session, true, out);
    } catch (EvaluationException | TooLarge ex) {
      // the session is not created
      out.add(Audits.reject(event, null, Moves.reasonOf(ex), ex.getMessage()));
      return new Result(null, false, out);
    }
  }

  // ---- checks for an existing session: one protocol per session, idempotency, final is final,
  // optimistic concurrency, legal moves (in this order) ----

  /** The audit of an event the session does not take (rejected, or a duplicate), or empty. */
  private static Optional<Audit> refusal(Protocol protocol, Session session, Event event) {
    if (!session.protocol.equals(event.protocol())
        || (event.protocolVersion() != null && event.protocolVersion() != session.version)) {
      return rejected(
          event,
          session,
          Reason.PROTOCOL_MISMATCH,
          "Expected protocol "
              + protocol.id()
              + " (the session's), but got "
              + event.protocol()
              + (event.protocolVersion() == null ? "" : "@" + event.protocolVersion()));
    }
    if (session.eventIds.contains(event.eventId())) {
      return Optional.of(Audits.duplicate(event, session));
    }
    if (session.isFinal()) {
      return rejected(
          event,
          session,
          Reason.SESSION_CLOSED,
          "Session is final (" + session.outcome + " in " + session.state + ")");
    }
    if (event.expectedState() != null && !event.expectedState().equals(session.state)) {
      return rejected(
          event,
          session,
          Reason.STALE_STATE,
          "Expected state " + event.expectedState() + ", but session is in " + session.state);
    }
    Map<String, List<Candidate>> on = protocol.state(session.state).on();
    if (!on.containsKey(event.type())) {
      return rejected(
          event,
          session,
          Reason.INVALID_TRANSITION,
          "Expected one of "
              + new TreeSet<>(on.keySet())
              + " in state "
              + session.state
              + ", but got "
              + event.type());
    }
    return Optional.empty();
  }

  private static Optional<Audit> rejected(
      Event event, Session session, Reason reason, String detail) {
    return Optional.of(Audits.reject(event, session, reason, detail));
  }

  /**
   * Errors back out, they don't crash: a failed guard or assignment of an {@code on} move sends the
   * session to onError, or, with no onError (or when onError's own {@code always} chain fails too),
   * rejects the event GUARD_ERROR and changes nothing.
   */
  private Result guardError(
      Protocol protocol,
      Session current,
      Session session,
      Event event,
      EventView view,
      EvaluationException failure,
      List<Output> out) {
    if (protocol.onError() == null) {
      out.add(Audits.reject(event, session, Reason.GUARD_ERROR, failure.getMessage()));
      return keepFailed(current, session, event, out);
    }
    Session moved = session.copy();
    remember(moved, event.eventId());
    Origin origin = Origin.error(session.state, null, failure.getMessage());
    Cause cause = causeOf(event).as(Trigger.ERROR);
    try {
      moves.follow(protocol, moved, protocol.onError(), moved.data, cause, origin, view, out);
      moved.failed = failed(event, session);
      out.add(Audits.accepted(event, session, moved, Reason.GUARD_ERROR, failure.getMessage()));
      return new Result(moved, true, out);
    } catch (EvaluationException | TooLarge chain) {
      out.add(Audits.reject(event, session, Moves.reasonOf(chain), chain.getMessage()));
      return keepFailed(current, session, event, out);
    }
  }

  /**
   * An event rejected GUARD_ERROR changes no state, but the session keeps it for an operator's
   * retry (docs/decisions/0016): the one rejection that rewrites the session.
   */
  private static Result keepFailed(
      Session current, Session session, Event event, List<Output> out) {
    Session kept = session == current ? current.copy() : session;
    kept.failed = failed(event, session);
    return new Result(kept, true, out);
  }

  private static Session.Failed failed(Event event, Session in) {
    return new Session.Failed(
        event.eventId(), event.type(), event.payload(), event.timestamp(), in.state);
  }

  // ---- operator commands ----

  /**
   * Applies an operator's command (a signed command record the topology read from the events log)
   * to its session; {@link Operators} decides it. Deadlines due by its timestamp fire first, as for
   * an event.
   */
  public Result onCommand(Session current, Command command) {
    List<Output> out = new ArrayList<>(4);
    if (current == null) {
      Event seen = command.asEvent(null);
      out.add(
          Audits.reject(
              seen,
              null,
              Reason.UNKNOWN_SESSION,
              "Expected a session to " + command.describe() + ", but there is none"));
      return new Result(null, false, out);
    }
    Protocol protocol = protocolOf(current);
    long next = current.nextProtocolDeadline();
    boolean fired = next != Session.NONE && next <= command.timestamp() && !current.isFinal();
    Session session =
        fired ? deadlines.fireDue(protocol, current.copy(), command.timestamp(), out) : current;
    Session after = operators.apply(protocol, session, command, out);
    if (after == null) {
      return unchanged(current, session, out);
    }
    remember(after, command.commandId());
    if (command.kind() == Command.Kind.RETRY
        && !after.eventIds.contains(session.failed.eventId())) {
      // the re-applied event is now accepted: its producer's resend is a DUPLICATE, as for any
      // accepted event (one sent to onError is remembered already)
      remember(after, session.failed.eventId());
    }
    return new Result(after, true, out);
  }

  // ---- migrations ----

  /**
   * Applies one session's part of a migration (docs/decisions/0018), at {@code max(migration time,
   * time the session entered its state)}: deadlines due by then fire first, as for an event; a
   * session that is final then, in a state outside the migration's {@code states}, or no longer on
   * the source version, is left alone with no audit (it is not selected); one that already took
   * this migration is a {@code DUPLICATE}. Otherwise it moves to the target version with trigger
   * {@code OPERATOR} and one audit record that names the migration, the operator and the reason. A
   * move that fails to evaluate (an {@code always} guard of the new state), or whose target state
   * the target version lacks, is rejected, and the migration id is remembered all the same, so
   * later chunks do not take the session again.
   */
  public Result onMigration(Session current, Migration m) {
    List<Output> out = new ArrayList<>(4);
    if (current == null
        || !current.protocol.equals(m.protocol())
        || current.version != m.from()
        || current.isFinal()) {
      return new Result(current, false, out);
    }
    long at = Math.max(m.timestamp(), current.enteredAt);
    if (current.eventIds.contains(m.id())) {
      out.add(Audits.duplicate(m.asEvent(current.id, at), current));
      return new Result(current, false, out);
    }
    Protocol target =
        catalog
            .get(m.protocol(), m.to())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Expected "
                            + m.protocol()
                            + "@"
                            + m.to()
                            + " (the target of migration "
                            + m.id()
                            + ") to be loaded, but it is not"));
    long next = current.nextProtocolDeadline();
    boolean fired = next != Session.NONE && next <= at;
    Session session =
        fired ? deadlines.fireDue(protocolOf(current), current.copy(), at, out) : current;
    if (session.isFinal() || !m.states().isEmpty() && !m.states().contains(session.state)) {
      // a due deadline moved it out of the selection: not selected (its state may not be in the
      // target version), as the chunk would not have picked it in that state
      return unchanged(current, session, out);
    }
    Session after = migrations.apply(target, session, m, at, out);
    if (after == null) {
      after = session == current ? current.copy() : session;
    }
    remember(after, m.id());
    return new Result(after, true, out);
  }

  // ---- records ----

  private void remember(Session session, String eventId) {
    session.eventIds.addLast(eventId);
    while (session.eventIds.size() > config.eventIdMemory()) {
      session.eventIds.removeFirst();
    }
  }

  private Protocol protocolOf(Session session) {
    return catalog
        .get(session.protocol, session.version)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Expected protocol "
                        + session.protocol
                        + "@"
                        + session.version
                        + " of session "
                        + session.id
                        + " to be loaded, but it is not (removed while sessions are in flight?)"));
  }

  /** Is the session's protocol version loaded? The topology checks before calling the engine. */
  public boolean canRun(Session session) {
    return catalog.get(session.protocol, session.version).isPresent();
  }
}
