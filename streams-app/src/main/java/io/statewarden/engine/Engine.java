package io.statewarden.engine;

import dev.cel.common.values.NullValue;
import io.statewarden.engine.Output.Audit;
import io.statewarden.engine.Output.Backout;
import io.statewarden.engine.Output.BackoutReason;
import io.statewarden.engine.Output.Decision;
import io.statewarden.engine.Output.Reason;
import io.statewarden.engine.Output.Transition;
import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Candidate;
import io.statewarden.protocol.Durations;
import io.statewarden.protocol.Expression;
import io.statewarden.protocol.Expression.EvaluationException;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.StateDef;
import io.statewarden.protocol.Timeout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules of SPEC section 4, as pure functions: {@code (session, event) -> result} and {@code
 * (session, now) -> result}. No Kafka, no clock: every time is a record timestamp or a deadline.
 * Never throws for any input; business outcomes are output records.
 */
public final class Engine {
  private final ProtocolCatalog catalog;
  private final EngineConfig config;
  private final InputLimits limits;

  public Engine(ProtocolCatalog catalog, EngineConfig config) {
    this.catalog = catalog;
    this.config = config;
    this.limits = new InputLimits(config);
  }

  public ProtocolCatalog catalog() {
    return catalog;
  }

  public EngineConfig config() {
    return config;
  }

  /**
   * When {@link #onTime} must next be called for this session: its earliest protocol deadline, or
   * for a final session the end of its retention. {@link Session#NONE} when there is nothing.
   */
  public long dueAt(Session s) {
    if (s.isFinal()) {
      return s.closedAt + config.retention().toMillis();
    }
    return s.nextProtocolDeadline();
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
    Session s = current.copy();
    List<Output> out = new ArrayList<>(4);
    fireDue(protocolOf(s), s, now, out);
    return new Result(s, true, out);
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
  public Result onEvent(Session current, Event e) {
    List<Output> out = new ArrayList<>(4);
    Optional<Rejection> invalid = limits.check(e);
    if (invalid.isPresent()) {
      out.add(reject(e, null, invalid.get()));
      return new Result(current, false, out);
    }
    if (current == null) {
      return create(e, out);
    }
    Protocol p = protocolOf(current);
    long next = current.nextProtocolDeadline();
    boolean fired = next != Session.NONE && next <= e.timestamp() && !current.isFinal();
    Session s = fired ? current.copy() : current; // copied before any change, never after
    if (fired) {
      fireDue(p, s, e.timestamp(), out); // rule 8: due deadlines first
    }
    Rejection r = check(p, s, e);
    if (r != null) {
      out.add(r.reason == null ? duplicate(e, s) : reject(e, s, r));
      return fired ? new Result(s, true, out) : new Result(current, false, out);
    }
    String before = s.state;
    long seqBefore = s.seq;
    StateDef st = p.state(s.state);
    EventView event = new EventView(e.type(), e.eventId(), e.payload(), e.timestamp());
    Candidate chosen;
    try {
      chosen = choose(st.on().get(e.type()), event, s);
    } catch (EvaluationException ex) {
      return guardError(p, s, current, e, event, ex, fired, out);
    }
    if (chosen == null) {
      out.add(
          reject(
              e,
              s,
              new Rejection(
                  Reason.NO_GUARD_MATCHED,
                  "Expected a guard of "
                      + e.type()
                      + " in state "
                      + s.state
                      + " to hold, but none did")));
      return fired ? new Result(s, true, out) : new Result(current, false, out);
    }
    Map<String, Object> data;
    try {
      data = assign(chosen, event, s);
    } catch (EvaluationException ex) {
      return guardError(p, s, current, e, event, ex, fired, out);
    }
    s = fired ? s : current.copy();
    remember(s, e.eventId());
    Origin origin = new Origin(before, BackoutReason.EVENT, null);
    enter(
        p, s, chosen.to(), Trigger.EVENT, e.eventId(), e.type(), e.timestamp(), data, origin, out);
    String detail = followAlways(p, s, event, e.eventId(), e.type(), e.timestamp(), origin, out);
    out.add(accepted(e, s, before, seqBefore, null, detail));
    return new Result(s, true, out);
  }

  // ---- creation (rule 1) ----

  private Result create(Event e, List<Output> out) {
    Optional<Protocol> found =
        e.protocolVersion() == null
            ? catalog.latest(e.protocol())
            : catalog.get(e.protocol(), e.protocolVersion());
    if (found.isEmpty()) {
      String what =
          e.protocolVersion() == null ? e.protocol() : e.protocol() + " v" + e.protocolVersion();
      out.add(
          reject(
              e,
              null,
              new Rejection(Reason.UNKNOWN_PROTOCOL, "No protocol " + what + " is loaded")));
      return new Result(null, false, out);
    }
    Protocol p = found.get();
    if (!p.start().contains(e.type())) {
      out.add(
          reject(
              e,
              null,
              new Rejection(
                  Reason.UNKNOWN_SESSION,
                  "Expected a start event "
                      + new java.util.TreeSet<>(p.start())
                      + " for unknown session, but got "
                      + e.type())));
      return new Result(null, false, out);
    }
    if (e.expectedState() != null) {
      out.add(
          reject(
              e,
              null,
              new Rejection(
                  Reason.STALE_STATE,
                  "Expected state " + e.expectedState() + ", but the session does not exist yet")));
      return new Result(null, false, out);
    }
    Session s = new Session(e.sessionId(), p.name(), p.version(), e.timestamp());
    if (p.sessionTimeout() != null) {
      s.sessionDeadline = e.timestamp() + p.sessionTimeout().afterMillis();
    }
    remember(s, e.eventId());
    EventView event = new EventView(e.type(), e.eventId(), e.payload(), e.timestamp());
    Origin origin = new Origin(p.initial(), BackoutReason.EVENT, null);
    enter(
        p,
        s,
        p.initial(),
        Trigger.EVENT,
        e.eventId(),
        e.type(),
        e.timestamp(),
        s.data,
        origin,
        out);
    String detail = followAlways(p, s, event, e.eventId(), e.type(), e.timestamp(), origin, out);
    out.add(accepted(e, s, null, 0, null, detail));
    return new Result(s, true, out);
  }

  // ---- checks for an existing session (rules 2, 3, 5, 6, 4) ----

  private Rejection check(Protocol p, Session s, Event e) {
    if (!s.protocol.equals(e.protocol())
        || (e.protocolVersion() != null && e.protocolVersion() != s.version)) {
      return new Rejection(
          Reason.PROTOCOL_MISMATCH,
          "Expected protocol "
              + p.id()
              + " (the session's), but got "
              + e.protocol()
              + (e.protocolVersion() == null ? "" : "@" + e.protocolVersion()));
    }
    if (s.eventIds.contains(e.eventId())) {
      return new Rejection(null, null); // duplicate
    }
    if (s.isFinal()) {
      return new Rejection(
          Reason.SESSION_CLOSED, "Session is final (" + s.outcome + " in " + s.state + ")");
    }
    if (e.expectedState() != null && !e.expectedState().equals(s.state)) {
      return new Rejection(
          Reason.STALE_STATE,
          "Expected state " + e.expectedState() + ", but session is in " + s.state);
    }
    if (!p.state(s.state).on().containsKey(e.type())) {
      return new Rejection(
          Reason.INVALID_TRANSITION,
          "Expected one of "
              + new java.util.TreeSet<>(p.state(s.state).on().keySet())
              + " in state "
              + s.state
              + ", but got "
              + e.type());
    }
    return null;
  }

  /** Rule 10: a failed guard or assignment goes to onError, or is rejected GUARD_ERROR. */
  private Result guardError(
      Protocol p,
      Session s,
      Session current,
      Event e,
      EventView event,
      EvaluationException ex,
      boolean fired,
      List<Output> out) {
    if (p.onError() == null) {
      out.add(reject(e, s, new Rejection(Reason.GUARD_ERROR, ex.getMessage())));
      return fired ? new Result(s, true, out) : new Result(current, false, out);
    }
    s = fired ? s : current.copy();
    String before = s.state;
    long seqBefore = s.seq;
    remember(s, e.eventId());
    Origin origin = new Origin(before, BackoutReason.ERROR, null);
    enter(
        p,
        s,
        p.onError(),
        Trigger.ERROR,
        e.eventId(),
        e.type(),
        e.timestamp(),
        s.data,
        origin,
        out);
    followAlways(p, s, event, e.eventId(), e.type(), e.timestamp(), origin, out);
    out.add(accepted(e, s, before, seqBefore, Reason.GUARD_ERROR, ex.getMessage()));
    return new Result(s, true, out);
  }

  // ---- deadlines (rules 7, 8) ----

  /** Fires every protocol deadline at or before {@code upTo}, earliest first. */
  private boolean fireDue(Protocol p, Session s, long upTo, List<Output> out) {
    boolean fired = false;
    while (!s.isFinal()) {
      long next = s.nextProtocolDeadline();
      if (next == Session.NONE || next > upTo) {
        break;
      }
      if (s.sessionDeadline != Session.NONE && s.sessionDeadline <= next) {
        fireSessionTimeout(p, s, out); // the outer bound wins a tie
      } else {
        fireStateTimeout(p, s, out);
      }
      fired = true;
    }
    return fired;
  }

  private void fireSessionTimeout(Protocol p, Session s, List<Output> out) {
    long deadline = s.sessionDeadline;
    s.sessionDeadline = Session.NONE;
    String before = s.state;
    long seqBefore = s.seq;
    Timeout t = p.sessionTimeout();
    String detail;
    if (t == null) {
      detail = "session deadline without sessionTimeout in " + p.id() + "; cleared";
    } else {
      detail = "session timeout " + Durations.format(t.after()) + " from creation";
      Origin origin = new Origin(before, BackoutReason.SESSION_TIMEOUT, deadline);
      enter(p, s, t.to(), Trigger.SESSION_TIMEOUT, null, null, deadline, s.data, origin, out);
      String chain =
          followAlways(
              p,
              s,
              new EventView(null, null, Map.of(), deadline),
              null,
              null,
              deadline,
              origin,
              out);
      detail = chain == null ? detail : detail + "; " + chain;
    }
    out.add(deadlineAudit(s, null, before, seqBefore, deadline, detail));
  }

  private void fireStateTimeout(Protocol p, Session s, List<Output> out) {
    long deadline = s.stateDeadline;
    s.stateDeadline = Session.NONE;
    String before = s.state;
    long seqBefore = s.seq;
    Timeout t = p.state(s.state).timeout();
    if (t == null) {
      out.add(
          deadlineAudit(
              s, null, before, seqBefore, deadline, "no timeout in state " + before + "; cleared"));
      return;
    }
    Origin origin = new Origin(before, BackoutReason.TIMEOUT, deadline);
    EventView event = new EventView(t.event(), "", Map.of(), deadline);
    String detail = "timeout " + Durations.format(t.after()) + " in " + before;
    try {
      Candidate chosen =
          t.to() != null
              ? Candidate.to(t.to())
              : choose(p.state(before).on().get(t.event()), event, s);
      if (chosen == null) {
        detail += ": " + t.event() + " matched no guard; deadline cleared";
      } else {
        Map<String, Object> data = assign(chosen, event, s);
        enter(p, s, chosen.to(), Trigger.TIMEOUT, null, t.event(), deadline, data, origin, out);
        String chain = followAlways(p, s, event, null, t.event(), deadline, origin, out);
        detail = chain == null ? detail : detail + "; " + chain;
      }
    } catch (EvaluationException ex) {
      detail += ": guard error " + ex.getMessage();
      if (p.onError() != null) {
        Origin err = new Origin(before, BackoutReason.ERROR, deadline);
        enter(p, s, p.onError(), Trigger.ERROR, null, t.event(), deadline, s.data, err, out);
        followAlways(p, s, event, null, t.event(), deadline, err, out);
      }
    }
    out.add(deadlineAudit(s, t.event(), before, seqBefore, deadline, detail));
  }

  // ---- moves ----

  /** Where a chain of moves started, for the backout record (rule 9). */
  private record Origin(String stalledState, BackoutReason reason, Long deadline) {}

  /** Enters {@code to}: one transition (also to the same state), deadlines re-armed (rule 7). */
  private void enter(
      Protocol p,
      Session s,
      String to,
      Trigger trigger,
      String eventId,
      String eventType,
      long at,
      Map<String, Object> data,
      Origin origin,
      List<Output> out) {
    String from = s.state;
    StateDef target = p.state(to);
    s.data = data;
    s.state = to;
    s.seq++;
    s.enteredAt = at;
    s.history.addLast(to);
    while (s.history.size() > config.historyLimit()) {
      s.history.removeFirst();
    }
    s.stateDeadline = target.timeout() == null ? Session.NONE : at + target.timeout().afterMillis();
    if (target.isFinal()) {
      s.outcome = target.outcome();
      s.closedAt = at;
      s.stateDeadline = Session.NONE;
      s.sessionDeadline = Session.NONE;
    }
    Map<String, Object> snapshot = s.data; // never mutated in place
    out.add(
        new Transition(
            s.id,
            s.protocol,
            s.version,
            s.seq,
            from,
            to,
            trigger,
            eventId,
            eventType,
            at,
            target.isFinal(),
            target.outcome(),
            snapshot));
    if (target.outcome() == io.statewarden.protocol.Outcome.BACKED_OUT) {
      out.add(
          new Backout(
              s.id,
              s.protocol,
              s.version,
              s.seq,
              origin.stalledState(),
              origin.reason(),
              origin.deadline(),
              at,
              snapshot,
              s.historyForOutput()));
    }
  }

  /**
   * Follows {@code always} moves from the current state (CoinSwap's auto_continue). The loader
   * guarantees chains end; the count here only guards against a broken invariant.
   *
   * @return a note for the audit record when the chain stopped on an error, else null
   */
  private String followAlways(
      Protocol p,
      Session s,
      EventView event,
      String eventId,
      String eventType,
      long at,
      Origin origin,
      List<Output> out) {
    for (int i = 0; i <= 64; i++) {
      StateDef st = p.state(s.state);
      if (st.isFinal() || st.always().isEmpty()) {
        return null;
      }
      try {
        Candidate c = choose(st.always(), event, s);
        if (c == null) {
          return null;
        }
        Map<String, Object> data = assign(c, event, s);
        enter(p, s, c.to(), Trigger.ALWAYS, eventId, eventType, at, data, origin, out);
      } catch (EvaluationException ex) {
        if (p.onError() == null || s.state.equals(p.onError())) {
          return "always in " + s.state + " stopped: " + ex.getMessage();
        }
        Origin err = new Origin(s.state, BackoutReason.ERROR, origin.deadline());
        enter(p, s, p.onError(), Trigger.ERROR, eventId, eventType, at, s.data, err, out);
        origin = err;
      }
    }
    throw new IllegalStateException(
        "Expected always chains in " + p.id() + " to end (checked on load), but one did not");
  }

  private Candidate choose(List<Candidate> candidates, EventView event, Session s) {
    if (candidates == null) {
      return null;
    }
    Map<String, Object> activation = null;
    for (Candidate c : candidates) {
      if (c.condition() == null) {
        return c;
      }
      if (activation == null) {
        activation = activation(event, s);
      }
      if (Boolean.TRUE.equals(check(c.condition(), activation))) {
        return c;
      }
    }
    return null;
  }

  private static Object check(Expression condition, Map<String, Object> activation) {
    Object v = condition.evaluate(activation);
    if (!(v instanceof Boolean)) {
      throw new EvaluationException(
          "'" + condition.source() + "' gave " + v + ", not a bool", null);
    }
    return v;
  }

  /** The session data after the candidate's {@code set}; all values see the data before. */
  private Map<String, Object> assign(Candidate c, EventView event, Session s) {
    if (c.set().isEmpty()) {
      return s.data;
    }
    Map<String, Object> activation = activation(event, s);
    Map<String, Object> data = new LinkedHashMap<>(s.data);
    for (var a : c.set().entrySet()) {
      data.put(a.getKey(), scalar(a.getKey(), a.getValue().evaluate(activation)));
    }
    return java.util.Collections.unmodifiableMap(data);
  }

  private static Object scalar(String key, Object v) {
    if (v instanceof NullValue) return null;
    if (v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof String)
      return v;
    if (v instanceof Integer i) return i.longValue();
    if (v instanceof com.google.common.primitives.UnsignedLong u && u.longValue() >= 0)
      return u.longValue();
    throw new EvaluationException(
        "set "
            + key
            + ": a "
            + (v == null ? "null" : v.getClass().getSimpleName())
            + " is not null, bool, int, double or string",
        null);
  }

  // ---- CEL activation ----

  /** The {@code event} CEL variable, built only when an expression needs it. */
  private static final class EventView {
    private final String type;
    private final String id;
    private final Map<String, Object> payload;
    private final long timestamp;
    private Map<String, Object> map;

    EventView(String type, String id, Map<String, Object> payload, long timestamp) {
      this.type = type;
      this.id = id;
      this.payload = payload;
      this.timestamp = timestamp;
    }

    Map<String, Object> map() {
      if (map == null) {
        map = new HashMap<>(8);
        map.put("type", type == null ? "" : type);
        map.put("id", id == null ? "" : id);
        map.put("payload", celMap(payload));
        map.put("timestamp", timestamp);
      }
      return map;
    }
  }

  private static Map<String, Object> activation(EventView event, Session s) {
    Map<String, Object> session = new HashMap<>(8);
    session.put("state", s.state);
    session.put("data", celMap(s.data));
    session.put("seq", s.seq);
    session.put("createdAt", s.createdAt);
    session.put("enteredAt", s.enteredAt);
    return Map.of("event", event.map(), "session", session);
  }

  /** CEL reads a Java null as "unknown"; give it its own null. */
  private static Map<String, Object> celMap(Map<String, Object> m) {
    boolean hasNull = false;
    for (Object v : m.values()) {
      hasNull |= v == null;
    }
    if (!hasNull) {
      return m;
    }
    Map<String, Object> copy = new HashMap<>(m);
    copy.replaceAll((k, v) -> v == null ? NullValue.NULL_VALUE : v);
    return copy;
  }

  // ---- records ----

  private void remember(Session s, String eventId) {
    s.eventIds.addLast(eventId);
    while (s.eventIds.size() > config.eventIdMemory()) {
      s.eventIds.removeFirst();
    }
  }

  private Protocol protocolOf(Session s) {
    return catalog
        .get(s.protocol, s.version)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "Expected protocol "
                        + s.protocol
                        + "@"
                        + s.version
                        + " of session "
                        + s.id
                        + " to be loaded, but it is not (removed while sessions are in flight?)"));
  }

  /** Is the session's protocol version loaded? The topology checks before calling the engine. */
  public boolean canRun(Session s) {
    return catalog.get(s.protocol, s.version).isPresent();
  }

  record Rejection(Reason reason, String detail) {}

  private static String auditKey(Event e) {
    if (e.key() != null) return e.key();
    return e.sessionId() == null ? "" : e.sessionId();
  }

  private static Audit reject(Event e, Session s, Rejection r) {
    String state = s == null ? null : s.state;
    return new Audit(
        auditKey(e),
        e.protocol(),
        e.eventId(),
        e.type(),
        Decision.REJECTED,
        r.reason(),
        r.detail(),
        state,
        state,
        null,
        e.timestamp(),
        e.input());
  }

  private static Audit duplicate(Event e, Session s) {
    return new Audit(
        auditKey(e),
        e.protocol(),
        e.eventId(),
        e.type(),
        Decision.DUPLICATE,
        null,
        "eventId already seen by this session",
        s.state,
        s.state,
        null,
        e.timestamp(),
        e.input());
  }

  private static Audit accepted(
      Event e, Session s, String before, long seqBefore, Reason reason, String detail) {
    return new Audit(
        auditKey(e),
        s.protocol,
        e.eventId(),
        e.type(),
        Decision.ACCEPTED,
        reason,
        detail,
        before,
        s.state,
        s.seq > seqBefore ? s.seq : null,
        e.timestamp(),
        e.input());
  }

  private static Audit deadlineAudit(
      Session s, String eventType, String before, long seqBefore, long deadline, String detail) {
    return new Audit(
        s.id,
        s.protocol,
        null,
        eventType,
        Decision.DEADLINE_FIRED,
        null,
        detail,
        before,
        s.state,
        s.seq > seqBefore ? s.seq : null,
        deadline,
        null);
  }
}
