package io.statewarden.engine;

import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;

/** The audit records of SPEC section 5: one per input event, and one per deadline that fired. */
final class Audits {
  private Audits() {}

  /**
   * A rejected event; {@code session} is the session it left as it was, null when there is none.
   */
  static Audit reject(Event event, Session session, Reason reason, String detail) {
    String state = session == null ? null : session.state;
    return new Audit(
        key(event),
        event.protocol(),
        event.eventId(),
        event.type(),
        Decision.REJECTED,
        reason,
        detail,
        state,
        state,
        null,
        event.timestamp(),
        event.input());
  }

  /** An event the session accepted before (its id is remembered); nothing changes. */
  static Audit duplicate(Event event, Session session) {
    return new Audit(
        key(event),
        event.protocol(),
        event.eventId(),
        event.type(),
        Decision.DUPLICATE,
        null,
        "eventId already seen by this session",
        session.state,
        session.state,
        null,
        event.timestamp(),
        event.input());
  }

  /**
   * An accepted event: the session {@code before} it (null when the event created it) and {@code
   * after}; {@code reason} GUARD_ERROR when a failure sent it to onError.
   */
  static Audit accepted(Event event, Session before, Session after, Reason reason, String detail) {
    return new Audit(
        key(event),
        after.protocol,
        event.eventId(),
        event.type(),
        Decision.ACCEPTED,
        reason,
        detail,
        before == null ? null : before.state,
        after.state,
        after.seq > (before == null ? 0 : before.seq) ? after.seq : null,
        event.timestamp(),
        event.input());
  }

  /**
   * A deadline that fired at {@code deadline}: the session {@code before} and {@code after} it (the
   * same session when nothing moved); {@code eventType} a state timeout's event, or null.
   */
  static Audit deadline(
      Session before,
      Session after,
      String eventType,
      long deadline,
      Reason reason,
      String detail) {
    return new Audit(
        after.id,
        after.protocol,
        null,
        eventType,
        Decision.DEADLINE_FIRED,
        reason,
        detail,
        before.state,
        after.state,
        after.seq > before.seq ? after.seq : null,
        deadline,
        null);
  }

  private static String key(Event event) {
    if (event.key() != null) return event.key();
    return event.sessionId() == null ? "" : event.sessionId();
  }
}
