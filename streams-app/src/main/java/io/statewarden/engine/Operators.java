package io.statewarden.engine;

import io.statewarden.engine.Guards.EventView;
import io.statewarden.engine.Moves.Cause;
import io.statewarden.engine.Moves.Origin;
import io.statewarden.engine.Moves.TooLarge;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Expression;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Expressions;
import io.statewarden.protocol.Outcome;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.StateDef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator commands (docs/decisions/0016): {@code cancel}, {@code retry} and {@code move}, each
 * decided against the session as the log order left it. Every command yields one audit record
 * naming the command, the operator and the reason; an accepted one moves with trigger {@code
 * OPERATOR} (a retry's re-applied event moves with the event's own trigger rules, under {@code
 * OPERATOR}). A refused command changes nothing.
 */
final class Operators {
  private final ProtocolCatalog catalog;
  private final Moves moves;

  Operators(ProtocolCatalog catalog, Moves moves) {
    this.catalog = catalog;
    this.moves = moves;
  }

  /**
   * Decides {@code command} for {@code session} (not changed here), adding its outputs to {@code
   * out}.
   *
   * @return the session after it, or null when the command was refused or a duplicate
   */
  Session apply(Protocol protocol, Session session, Command command, List<Output> out) {
    Event seen = command.asEvent(session.protocol);
    if (session.eventIds.contains(command.commandId())) {
      out.add(Audits.duplicate(seen, session));
      return null;
    }
    String refused = null;
    Reason reason = null;
    boolean reopens =
        command.kind() == Command.Kind.MOVE
            ? command.reopen()
            : command.kind() == Command.Kind.RETRY && retryableErrorState(protocol, session);
    if (session.isFinal() && !reopens) {
      reason = Reason.SESSION_CLOSED;
      refused =
          "Expected a live session to "
              + command.kind().label()
              + ", but it is final ("
              + session.outcome
              + " in "
              + session.state
              + ")"
              + (command.kind() == Command.Kind.MOVE ? "; a move with reopen may take it out" : "");
    } else if (command.expectedState() != null && !command.expectedState().equals(session.state)) {
      reason = Reason.STALE_STATE;
      refused =
          "Expected state " + command.expectedState() + ", but session is in " + session.state;
    }
    if (reason != null) {
      out.add(Audits.reject(seen, session, reason, refused + " (" + command.describe() + ")"));
      return null;
    }
    int mark = out.size();
    Session moved;
    try {
      switch (command.kind()) {
        case CANCEL:
          moved = cancel(protocol, session, command, out);
          break;
        case MOVE:
          moved = move(protocol, session, command, out);
          break;
        case RETRY:
          moved = retry(protocol, session, command, out);
          break;
        default:
          throw new IllegalStateException("Expected a known command, but got " + command.kind());
      }
    } catch (Refused r) {
      out.subList(mark, out.size()).clear();
      out.add(
          Audits.reject(seen, session, r.reason, r.getMessage() + " (" + command.describe() + ")"));
      return null;
    } catch (EvaluationException | TooLarge ex) {
      out.subList(mark, out.size()).clear();
      out.add(
          Audits.reject(
              seen,
              session,
              Moves.reasonOf(ex),
              ex.getMessage() + " (" + command.describe() + ")"));
      return null;
    }
    // a retry names the version it applied (the latest loaded when decided), so a replay with
    // other versions loaded shows where it differs
    String under =
        command.kind() == Command.Kind.RETRY ? moved.protocol + "@" + moved.version : null;
    out.add(Audits.accepted(seen, session, moved, null, command.describe(under)));
    return moved;
  }

  /** To a final BACKED_OUT state (backout reason OPERATOR); its pending deadlines are dropped. */
  private Session cancel(Protocol protocol, Session session, Command command, List<Output> out) {
    String to = backedOutState(protocol);
    if (to == null) {
      throw new Refused(
          Reason.INVALID_TRANSITION,
          "Expected a final BACKED_OUT state in " + protocol.id() + " to cancel into, but none");
    }
    Session moved = session.copy();
    Origin origin = new Origin(session.state, BackoutReason.OPERATOR, null);
    moves.follow(
        protocol, moved, to, moved.data, cause(command), origin, view(command, session), out);
    return moved;
  }

  /**
   * The state a cancel enters: the sessionTimeout's target where that is BACKED_OUT, else the first
   * BACKED_OUT final state in definition order; null when the protocol has none.
   */
  static String backedOutState(Protocol protocol) {
    if (protocol.sessionTimeout() != null
        && protocol.sessionTimeout().to() != null
        && protocol.state(protocol.sessionTimeout().to()).outcome() == Outcome.BACKED_OUT) {
      return protocol.sessionTimeout().to();
    }
    for (StateDef s : protocol.states().values()) {
      if (s.outcome() == Outcome.BACKED_OUT) {
        return s.name();
      }
    }
    return null;
  }

  /**
   * Into a named state, data patched by CEL {@code set} expressions over the session, that state's
   * deadlines re-armed (and its {@code always} chain followed). A final session only with {@code
   * reopen}; reopened, its whole-session deadline stays dropped.
   */
  private Session move(Protocol protocol, Session session, Command command, List<Output> out) {
    if (command.to() == null || !protocol.states().containsKey(command.to())) {
      throw new Refused(
          Reason.INVALID_TRANSITION,
          "Expected a state of "
              + protocol.id()
              + " "
              + new java.util.TreeSet<>(protocol.states().keySet())
              + " to move to, but got "
              + command.to());
    }
    Map<String, Expression> set = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(command.set()).entrySet()) {
      try {
        set.put(e.getKey(), Expressions.value(e.getValue()));
      } catch (Expressions.InvalidExpressionException ex) {
        throw new Refused(Reason.GUARD_ERROR, "set " + e.getKey() + ": " + ex.getMessage());
      }
    }
    Session moved = session.copy();
    reopen(moved);
    EventView view = view(command, session);
    Map<String, Object> data =
        set.isEmpty()
            ? moved.data
            : Guards.assign(new Candidate(command.to(), null, set), view, session);
    Origin origin = new Origin(session.state, BackoutReason.OPERATOR, null);
    moves.follow(protocol, moved, command.to(), data, cause(command), origin, view, out);
    return moved;
  }

  /**
   * Re-applies the event kept by the last guard failure ({@link Session#failed()}) under the latest
   * loaded version of the session's protocol: where the session was sent to a retryable onError
   * state, it first moves back into the state the event failed in. A failure this time changes
   * nothing (no second trip to onError): fix, load, retry again.
   */
  private Session retry(Protocol protocol, Session session, Command command, List<Output> out) {
    Session.Failed failed = session.failed;
    boolean inError = retryableErrorState(protocol, session);
    if (failed == null || (!inError && !failed.state().equals(session.state))) {
      throw new Refused(
          Reason.INVALID_TRANSITION,
          "Expected a session whose last event failed on a guard (rejected GUARD_ERROR, or sent to"
              + " a retryable onError state), but "
              + session.id
              + " in "
              + session.state
              + " has none to retry");
    }
    Protocol latest = catalog.latest(session.protocol).orElse(protocol);
    if (!latest.states().containsKey(failed.state())) {
      throw new Refused(
          Reason.INVALID_TRANSITION,
          "Expected state " + failed.state() + " in " + latest.id() + " to retry in, but none");
    }
    Session moved = session.copy(latest.version());
    Event event =
        new Event(
            session.id,
            failed.eventId(),
            session.id,
            session.protocol,
            null,
            failed.type(),
            failed.payload(),
            null,
            null,
            command.timestamp(),
            command.input());
    EventView view = EventView.of(event);
    Cause cause = cause(command);
    if (inError) {
      reopen(moved);
      Origin back = new Origin(session.state, BackoutReason.OPERATOR, null);
      moves.follow(latest, moved, failed.state(), moved.data, cause, back, view, out);
    }
    List<Candidate> candidates = latest.state(moved.state).on().get(failed.type());
    if (candidates == null) {
      throw new Refused(
          Reason.INVALID_TRANSITION,
          "Expected " + failed.type() + " to be taken in " + moved.state + ", but it is not");
    }
    Candidate chosen = Guards.choose(candidates, view, moved);
    if (chosen == null) {
      throw new Refused(
          Reason.NO_GUARD_MATCHED,
          "Expected a guard of " + failed.type() + " in state " + moved.state + " to hold");
    }
    Map<String, Object> data = Guards.assign(chosen, view, moved);
    Origin origin = new Origin(moved.state, BackoutReason.EVENT, null);
    moves.follow(latest, moved, chosen.to(), data, cause, origin, view, out);
    return moved;
  }

  /** Whether the session sits in its protocol's onError state, marked {@code retryable}. */
  private static boolean retryableErrorState(Protocol protocol, Session session) {
    return session.failed != null
        && session.state.equals(protocol.onError())
        && protocol.state(session.state).retryable();
  }

  /** A final session taken out of its final state; the whole-session deadline stays dropped. */
  private static void reopen(Session s) {
    s.outcome = null;
    s.closedAt = Session.NONE;
  }

  private static Cause cause(Command command) {
    return new Cause(Trigger.OPERATOR, command.commandId(), Command.TYPE, command.timestamp());
  }

  private static EventView view(Command command, Session session) {
    return EventView.of(command.asEvent(session.protocol));
  }

  /** A command this session cannot take; nothing it did stands. */
  private static final class Refused extends RuntimeException {
    final Reason reason;

    Refused(Reason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }
}
