package io.statewarden.engine;

import java.util.List;
import java.util.Map;

/** What the engine publishes: transitions, backouts and audit records (SPEC section 5). */
public sealed interface Output permits Output.Transition, Output.Backout, Output.Audit {

  String sessionId();

  /**
   * When it happened (epoch millis): the time of the event or deadline that caused it. The record
   * the topology publishes carries it as its timestamp.
   */
  long at();

  enum Trigger {
    EVENT,
    ALWAYS,
    TIMEOUT,
    SESSION_TIMEOUT,
    ERROR,
    OPERATOR
  }

  enum Decision {
    ACCEPTED,
    REJECTED,
    DUPLICATE,
    DEADLINE_FIRED
  }

  /** Why an input was rejected (or, with {@code ACCEPTED}, GUARD_ERROR: sent to onError). */
  enum Reason {
    UNKNOWN_PROTOCOL,
    UNKNOWN_SESSION,
    PROTOCOL_MISMATCH,
    KEY_MISMATCH,
    INVALID_TRANSITION,
    NO_GUARD_MATCHED,
    STALE_STATE,
    SESSION_CLOSED,
    GUARD_ERROR,
    LIMIT_EXCEEDED,
    INVALID_EVENT,
    /**
     * The event has the type {@link Engine#TIMER_TYPE}, which only statewarden's own (signed) timer
     * records may carry: a forged timer, or a producer's event that uses the reserved type.
     */
    RESERVED_TYPE,
    /**
     * A creating event beyond its protocol's {@code maxConcurrentSessions}, as this partition's
     * share of it (docs/decisions/0017-concurrency-cap.md).
     */
    CONCURRENCY_LIMIT
  }

  enum BackoutReason {
    TIMEOUT,
    SESSION_TIMEOUT,
    ERROR,
    EVENT,
    OPERATOR
  }

  record Transition(
      String sessionId,
      String protocol,
      int protocolVersion,
      long seq,
      String from,
      String to,
      Trigger trigger,
      String eventId,
      String eventType,
      long at,
      boolean isFinal,
      io.statewarden.protocol.Outcome outcome,
      Map<String, Object> data,
      String incarnation)
      implements Output {}

  record Backout(
      String sessionId,
      String protocol,
      int protocolVersion,
      long seq,
      String stalledState,
      BackoutReason reason,
      Long deadline,
      long at,
      Map<String, Object> data,
      List<String> history,
      String incarnation)
      implements Output {}

  record Audit(
      String sessionId,
      String protocol,
      String eventId,
      String eventType,
      Decision decision,
      Reason reason,
      String detail,
      String stateBefore,
      String stateAfter,
      Long seq,
      long at,
      InputRef input)
      implements Output {

    /**
     * The audit of an event accepted without a failure, whose move its transition (same session,
     * seq, event id and type) records: what {@code statewarden.audit.accepted=false} leaves out.
     * Operator commands and migrations (a detail says who and why), guard errors, and accepted
     * events that moved nothing are never left out.
     */
    public boolean repeatsItsTransition() {
      return decision == Decision.ACCEPTED && reason == null && detail == null && seq != null;
    }
  }
}
