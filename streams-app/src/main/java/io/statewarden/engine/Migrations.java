package io.statewarden.engine;

import io.statewarden.engine.Guards.EventView;
import io.statewarden.engine.Moves.Cause;
import io.statewarden.engine.Moves.Origin;
import io.statewarden.engine.Moves.TooLarge;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Protocol;
import java.util.List;
import java.util.TreeSet;

/**
 * Moves one session to the migration's target version (docs/decisions/0018): into the state the map
 * names (its own name by default), trigger {@code OPERATOR}, its data carried over, its state
 * deadline re-armed from the migration's time and its whole-session deadline re-armed from its
 * creation, both under the new version, and the new state's {@code always} chain followed.
 */
final class Migrations {
  private final Moves moves;

  Migrations(Moves moves) {
    this.moves = moves;
  }

  /**
   * Migrates {@code session} (live, on the migration's source version; not changed here).
   *
   * @return the session after it, or null when the move failed to evaluate or the target state is
   *     not in {@code to} (then {@code out} holds only the rejection)
   */
  Session apply(Protocol to, Session session, Migration m, long at, List<Output> out) {
    String target = m.target(session.state);
    String detail = m.describe(session.state, target);
    Event seen = m.asEvent(session.id, at);
    if (!to.states().containsKey(target)) {
      // the request checked the map, but the state may not be the one it checked (a due deadline
      // moved it, the versions were reloaded): refused, not thrown, so the partition goes on
      out.add(
          Audits.reject(
              seen,
              session,
              Reason.INVALID_TRANSITION,
              "state "
                  + target
                  + " is not a state of "
                  + to.id()
                  + ": map "
                  + session.state
                  + " to one of "
                  + new TreeSet<>(to.states().keySet())
                  + " ("
                  + detail
                  + ")"));
      return null;
    }
    Session moved = session.copy(to.version());
    moved.sessionDeadline =
        to.sessionTimeout() == null
            ? Session.NONE
            : session.createdAt + to.sessionTimeout().afterMillis();
    Cause cause = new Cause(Trigger.OPERATOR, m.id(), Migration.TYPE, at);
    Origin origin = new Origin(session.state, BackoutReason.OPERATOR, null);
    int mark = out.size();
    try {
      moves.follow(to, moved, target, moved.data, cause, origin, EventView.of(seen), out);
    } catch (EvaluationException | TooLarge ex) {
      out.subList(mark, out.size()).clear();
      out.add(
          Audits.reject(seen, session, Moves.reasonOf(ex), ex.getMessage() + " (" + detail + ")"));
      return null;
    }
    out.add(Audits.accepted(seen, session, moved, null, detail));
    return moved;
  }
}
