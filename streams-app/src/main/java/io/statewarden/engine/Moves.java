package io.statewarden.engine;

import io.statewarden.engine.Guards.EventView;
import io.statewarden.engine.Output.Backout;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Outcome;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.StateDef;
import java.util.List;
import java.util.Map;

/**
 * Moves a session: a move and the {@code always} chain it leads to, each state entered one
 * transition (and a backout where it is a BACKED_OUT state), within the session's size limit. A
 * move works on a session the caller owns and may drop: that is how a failed move is undone.
 */
final class Moves {
  /**
   * Why a move happens, as its transitions tell: the trigger, the event that caused it ({@code
   * eventId} null for a deadline; {@code eventType} a state timeout's event, or null) and the time.
   */
  record Cause(Trigger trigger, String eventId, String eventType, long at) {
    Cause as(Trigger other) {
      return new Cause(other, eventId, eventType, at);
    }
  }

  /**
   * Where a chain of moves started, for the backout record; for a chain sent to onError ({@link
   * BackoutReason#ERROR}) also the failure that sent it there.
   */
  record Origin(String stalledState, BackoutReason reason, Long deadline, String error) {
    Origin(String stalledState, BackoutReason reason, Long deadline) {
      this(stalledState, reason, deadline, null);
    }

    static Origin error(String stalledState, Long deadline, String error) {
      return new Origin(stalledState, BackoutReason.ERROR, deadline, error);
    }
  }

  /** A move that would take the session past its size limit; it does not happen. */
  static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  /** The reason an audit gives for a move that failed with {@code failed}. */
  static Reason reasonOf(RuntimeException failed) {
    return failed instanceof TooLarge ? Reason.LIMIT_EXCEEDED : Reason.GUARD_ERROR;
  }

  private final EngineConfig config;

  Moves(EngineConfig config) {
    this.config = config;
  }

  /**
   * One move to {@code to} with {@code data}, and the {@code always} chain it leads to (CoinSwap's
   * auto_continue), on {@code session}. An {@code always} guard or assignment that fails to
   * evaluate sends the session to onError (trigger ERROR) and the chain goes on from there. The
   * loader guarantees chains end; the count here only guards against a broken invariant.
   *
   * @param event what the {@code always} guards see
   * @return the error that sent the session to onError, or null
   * @throws EvaluationException when a failure has nowhere to go (no onError, or a second failure
   *     in one move), having taken back the outputs of the move: the caller undoes the rest by
   *     dropping {@code session}
   * @throws TooLarge when a move would make the session too large: undone likewise
   */
  String follow(
      Protocol protocol,
      Session session,
      String to,
      Map<String, Object> data,
      Cause cause,
      Origin origin,
      EventView event,
      List<Output> out) {
    int mark = out.size();
    try {
      enter(protocol, session, to, data, cause, origin, out);
      for (int step = 0; step <= 64; step++) {
        StateDef state = protocol.state(session.state);
        if (state.isFinal() || state.always().isEmpty()) {
          return origin.error();
        }
        Candidate chosen;
        Map<String, Object> next;
        try {
          chosen = Guards.choose(state.always(), event, session);
          if (chosen == null) {
            return origin.error();
          }
          next = Guards.assign(chosen, event, session);
        } catch (EvaluationException ex) {
          String message = "always in " + session.state + ": " + ex.getMessage();
          if (protocol.onError() == null || origin.error() != null) {
            throw new EvaluationException(
                origin.error() == null ? message : origin.error() + "; then " + message, ex);
          }
          origin = Origin.error(session.state, origin.deadline(), message);
          Cause routed = cause.as(Trigger.ERROR);
          enter(protocol, session, protocol.onError(), session.data, routed, origin, out);
          continue;
        }
        enter(protocol, session, chosen.to(), next, cause.as(Trigger.ALWAYS), origin, out);
      }
    } catch (EvaluationException | TooLarge failed) {
      out.subList(mark, out.size()).clear();
      throw failed;
    }
    throw new IllegalStateException(
        "Expected always chains in "
            + protocol.id()
            + " to end (checked on load), but one did not");
  }

  /** Enters {@code to}: one transition (also to the same state), deadlines re-armed. */
  private void enter(
      Protocol protocol,
      Session session,
      String to,
      Map<String, Object> data,
      Cause cause,
      Origin origin,
      List<Output> out) {
    String from = session.state;
    StateDef target = protocol.state(to);
    long at = cause.at();
    Map<String, Object> before = session.data;
    session.data = data;
    session.state = to;
    session.seq++;
    session.enteredAt = at;
    session.failed = null;
    session.history.addLast(
        new Session.Step(to, cause.trigger(), cause.eventId(), cause.eventType(), at));
    while (session.history.size() > config.historyLimit()) {
      session.history.removeFirst();
    }
    session.stateDeadline =
        target.timeout() == null ? Session.NONE : at + target.timeout().afterMillis();
    if (target.isFinal()) {
      session.outcome = target.outcome();
      session.closedAt = at;
      session.stateDeadline = Session.NONE;
      session.sessionDeadline = Session.NONE;
    }
    if (data != before) {
      checkSize(session, before);
    }
    Map<String, Object> snapshot = session.data; // never mutated in place
    out.add(
        new Transition(
            session.id,
            session.protocol,
            session.version,
            session.seq,
            from,
            to,
            cause.trigger(),
            cause.eventId(),
            cause.eventType(),
            at,
            target.isFinal(),
            target.outcome(),
            snapshot,
            session.incarnation));
    if (target.outcome() == Outcome.BACKED_OUT) {
      out.add(
          new Backout(
              session.id,
              session.protocol,
              session.version,
              session.seq,
              origin.stalledState(),
              origin.reason(),
              origin.deadline(),
              at,
              snapshot,
              session.historyForOutput(),
              session.incarnation));
    }
  }

  /**
   * Bounded session: a move whose {@code set} enlarged the data must leave the session within
   * {@link EngineConfig#maxSessionBytes}. Only growth of the data counts, so a session at its limit
   * can still move, end and back out: what a move adds besides (an event id, a history entry) is
   * bounded by the id memory and the history limit.
   *
   * @throws TooLarge when it does not: the caller undoes the whole move
   */
  private void checkSize(Session session, Map<String, Object> before) {
    long size = SessionCodec.size(session);
    if (size > config.maxSessionBytes()
        && SessionCodec.dataSize(session.data) > SessionCodec.dataSize(before)) {
      throw new TooLarge(
          "the move to "
              + session.state
              + " would make the session "
              + size
              + " bytes; the limit is "
              + config.maxSessionBytes()
              + " (statewarden.session.max.bytes)");
    }
  }
}
