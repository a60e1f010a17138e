package io.statewarden.engine;

import io.statewarden.engine.Guards.EventView;
import io.statewarden.engine.Moves.Cause;
import io.statewarden.engine.Moves.Origin;
import io.statewarden.engine.Moves.TooLarge;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Durations;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.Timeout;
import java.util.List;
import java.util.Map;

/**
 * Fires a session's protocol deadlines (SPEC section 4: timeouts; deadlines before late events):
 * the session timeout and the state timeout, each consumed whatever its move does, each with an
 * audit record DEADLINE_FIRED.
 */
final class Deadlines {
  private final Moves moves;

  Deadlines(Moves moves) {
    this.moves = moves;
  }

  /**
   * Fires every protocol deadline at or before {@code upTo}, earliest first, on {@code session} (a
   * copy the engine owns).
   *
   * @return the session after them: {@code session}, or the copy a fired move worked on
   */
  Session fireDue(Protocol protocol, Session session, long upTo, List<Output> out) {
    while (!session.isFinal()) {
      long next = session.nextProtocolDeadline();
      if (next == Session.NONE || next > upTo) {
        break;
      }
      if (session.sessionDeadline != Session.NONE && session.sessionDeadline <= next) {
        session = fireSessionTimeout(protocol, session, out); // the outer bound wins a tie
      } else {
        session = fireStateTimeout(protocol, session, out);
      }
    }
    return session;
  }

  private Session fireSessionTimeout(Protocol protocol, Session session, List<Output> out) {
    long deadline = session.sessionDeadline;
    session.sessionDeadline = Session.NONE; // consumed, whatever the move does
    Timeout timeout = protocol.sessionTimeout();
    if (timeout == null) {
      String detail = "session deadline without sessionTimeout in " + protocol.id() + "; cleared";
      out.add(Audits.deadline(session, session, null, deadline, null, detail));
      return session;
    }
    String detail = "session timeout " + Durations.format(timeout.after()) + " from creation";
    Cause cause = new Cause(Trigger.SESSION_TIMEOUT, null, null, deadline);
    Origin origin = new Origin(session.state, BackoutReason.SESSION_TIMEOUT, deadline);
    return fireMove(protocol, session, Candidate.to(timeout.to()), cause, origin, detail, out);
  }

  private Session fireStateTimeout(Protocol protocol, Session session, List<Output> out) {
    long deadline = session.stateDeadline;
    session.stateDeadline = Session.NONE; // consumed, whatever the move does
    Timeout timeout = protocol.state(session.state).timeout();
    if (timeout == null) {
      String detail = "no timeout in state " + session.state + "; cleared";
      out.add(Audits.deadline(session, session, null, deadline, null, detail));
      return session;
    }
    String detail = "timeout " + Durations.format(timeout.after()) + " in " + session.state;
    Cause cause = new Cause(Trigger.TIMEOUT, null, timeout.event(), deadline);
    Candidate chosen;
    try {
      chosen =
          timeout.to() != null
              ? Candidate.to(timeout.to())
              : Guards.choose(
                  protocol.state(session.state).on().get(timeout.event()),
                  EventView.deadline(timeout.event(), deadline),
                  session);
    } catch (EvaluationException ex) {
      return fireError(protocol, session, cause, detail, ex, out);
    }
    if (chosen == null) {
      String unmatched = detail + ": " + timeout.event() + " matched no guard; deadline cleared";
      out.add(Audits.deadline(session, session, timeout.event(), deadline, null, unmatched));
      return session;
    }
    Origin origin = new Origin(session.state, BackoutReason.TIMEOUT, deadline);
    return fireMove(protocol, session, chosen, cause, origin, detail, out);
  }

  /**
   * A deadline's move and its {@code always} chain, all or nothing, like an event's: when it fails
   * with nowhere to go, nothing moves and only the consumed deadline changed.
   */
  private Session fireMove(
      Protocol protocol,
      Session session,
      Candidate chosen,
      Cause cause,
      Origin origin,
      String detail,
      List<Output> out) {
    EventView view = EventView.deadline(cause.eventType(), cause.at());
    Map<String, Object> data;
    try {
      data = Guards.assign(chosen, view, session);
    } catch (EvaluationException ex) {
      return fireError(protocol, session, cause, detail, ex, out);
    }
    Session moved = session.copy();
    try {
      String error = moves.follow(protocol, moved, chosen.to(), data, cause, origin, view, out);
      out.add(
          Audits.deadline(
              session,
              moved,
              cause.eventType(),
              cause.at(),
              error == null ? null : Reason.GUARD_ERROR,
              error == null ? detail : detail + "; " + error + "; sent to " + protocol.onError()));
      return moved;
    } catch (EvaluationException | TooLarge ex) {
      String failed = detail + ": " + ex.getMessage() + "; nothing moved, deadline cleared";
      out.add(
          Audits.deadline(
              session, session, cause.eventType(), cause.at(), Moves.reasonOf(ex), failed));
      return session;
    }
  }

  /** A deadline's guard or assignment failed: to onError, or nothing moves. */
  private Session fireError(
      Protocol protocol,
      Session session,
      Cause cause,
      String detail,
      EvaluationException failure,
      List<Output> out) {
    String failed = detail + ": " + failure.getMessage();
    Reason reason = Reason.GUARD_ERROR;
    if (protocol.onError() != null) {
      Session moved = session.copy();
      try {
        Origin origin = Origin.error(session.state, cause.at(), failed);
        EventView view = EventView.deadline(cause.eventType(), cause.at());
        moves.follow(
            protocol,
            moved,
            protocol.onError(),
            moved.data,
            cause.as(Trigger.ERROR),
            origin,
            view,
            out);
        String sent = failed + "; sent to " + protocol.onError();
        out.add(
            Audits.deadline(
                session, moved, cause.eventType(), cause.at(), Reason.GUARD_ERROR, sent));
        return moved;
      } catch (EvaluationException | TooLarge chain) {
        failed = chain.getMessage();
        reason = Moves.reasonOf(chain);
      }
    }
    String nothing = failed + "; nothing moved, deadline cleared";
    out.add(Audits.deadline(session, session, cause.eventType(), cause.at(), reason, nothing));
    return session;
  }
}
