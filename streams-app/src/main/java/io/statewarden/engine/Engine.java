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
 * The rules of SPEC section 4 (named, not numbered, here: the authoring guide lists them in another
 * order), as pure functions: {@code (session, event) -> result} and {@code (session, now) ->
 * result}. No Kafka, no clock: every time is a record timestamp or a deadline. Never throws for any
 * input; business outcomes are output records.
 */
public final class Engine {
  /**
   * The event type reserved for statewarden's timer records (docs/decisions/0004, 0008). The
   * topology hands a validly signed timer to {@link #onTimer}; every event that reaches {@link
   * #onEvent} with this type is rejected {@link Reason#RESERVED_TYPE}.
   */
  public static final String TIMER_TYPE = "statewarden.DeadlineDue";

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
    List<Output> out = new ArrayList<>(4);
    Session s = fireDue(protocolOf(current), current.copy(), now, out);
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
    if (TIMER_TYPE.equals(e.type())) {
      // before anything else, deadlines due by its timestamp included: it changes no session
      out.add(
          reject(
              e,
              current,
              new Rejection(
                  Reason.RESERVED_TYPE,
                  "Expected a timer record signed by statewarden (statewarden.mac), but this"
                      + " record of type "
                      + TIMER_TYPE
                      + " is not one; the type is reserved")));
      return new Result(current, false, out);
    }
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
    // deadlines before late events: what is due by the event's timestamp fires first
    Session s = fired ? fireDue(p, current.copy(), e.timestamp(), out) : current;
    Rejection r = check(p, s, e);
    if (r != null) {
      out.add(r.reason == null ? duplicate(e, s) : reject(e, s, r));
      return unchanged(current, s, out);
    }
    StateDef st = p.state(s.state);
    EventView event = new EventView(e.type(), e.eventId(), e.payload(), e.timestamp());
    Candidate chosen;
    Map<String, Object> data;
    try {
      chosen = choose(st.on().get(e.type()), event, s);
      data = chosen == null ? null : assign(chosen, event, s);
    } catch (EvaluationException ex) {
      return guardError(p, current, s, e, event, ex, out);
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
      return unchanged(current, s, out);
    }
    Session m = s.copy(); // the move works on its own copy: undone by dropping it
    remember(m, e.eventId());
    int mark = out.size();
    try {
      String error =
          move(
              p,
              m,
              chosen.to(),
              Trigger.EVENT,
              event,
              data,
              new Origin(s.state, BackoutReason.EVENT, null),
              null,
              out);
      out.add(accepted(e, m, s.state, s.seq, error == null ? null : Reason.GUARD_ERROR, error));
      return new Result(m, true, out);
    } catch (EvaluationException | TooLarge ex) {
      out.subList(mark, out.size()).clear();
      out.add(reject(e, s, new Rejection(reasonOf(ex), ex.getMessage())));
      return unchanged(current, s, out);
    }
  }

  /**
   * A rejected (or duplicate) event changes nothing; deadlines that fired before it stand ({@code
   * s} is then the engine's copy with them applied, else {@code current} itself).
   */
  private static Result unchanged(Session current, Session s, List<Output> out) {
    return s == current ? new Result(current, false, out) : new Result(s, true, out);
  }

  // ---- creation ----

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
    Session s =
        new Session(
            e.sessionId(),
            Session.incarnation(e.timestamp(), e.eventId()),
            p.name(),
            p.version(),
            e.timestamp());
    if (p.sessionTimeout() != null) {
      s.sessionDeadline = e.timestamp() + p.sessionTimeout().afterMillis();
    }
    remember(s, e.eventId());
    EventView event = new EventView(e.type(), e.eventId(), e.payload(), e.timestamp());
    int mark = out.size();
    try {
      String error =
          move(
              p,
              s,
              p.initial(),
              Trigger.EVENT,
              event,
              s.data,
              new Origin(p.initial(), BackoutReason.EVENT, null),
              null,
              out);
      out.add(accepted(e, s, null, 0, error == null ? null : Reason.GUARD_ERROR, error));
      return new Result(s, true, out);
    } catch (EvaluationException | TooLarge ex) {
      out.subList(mark, out.size()).clear(); // the session is not created
      out.add(reject(e, null, new Rejection(reasonOf(ex), ex.getMessage())));
      return new Result(null, false, out);
    }
  }

  // ---- checks for an existing session: one protocol per session, idempotency, final is final,
  // optimistic concurrency, legal moves (in this order) ----

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

  /**
   * Errors back out, they don't crash: a failed guard or assignment of an {@code on} move sends the
   * session to onError, or, with no onError (or when onError's own {@code always} chain fails too),
   * rejects the event GUARD_ERROR and changes nothing.
   */
  private Result guardError(
      Protocol p,
      Session current,
      Session s,
      Event e,
      EventView event,
      EvaluationException ex,
      List<Output> out) {
    if (p.onError() == null) {
      out.add(reject(e, s, new Rejection(Reason.GUARD_ERROR, ex.getMessage())));
      return unchanged(current, s, out);
    }
    Session m = s.copy();
    remember(m, e.eventId());
    int mark = out.size();
    try {
      move(
          p,
          m,
          p.onError(),
          Trigger.ERROR,
          event,
          m.data,
          new Origin(s.state, BackoutReason.ERROR, null),
          ex.getMessage(),
          out);
      out.add(accepted(e, m, s.state, s.seq, Reason.GUARD_ERROR, ex.getMessage()));
      return new Result(m, true, out);
    } catch (EvaluationException | TooLarge chain) {
      out.subList(mark, out.size()).clear();
      out.add(reject(e, s, new Rejection(reasonOf(chain), chain.getMessage())));
      return unchanged(current, s, out);
    }
  }

  // ---- deadlines; deadlines before late events ----

  /**
   * Fires every protocol deadline at or before {@code upTo}, earliest first, on {@code s} (a copy
   * the engine owns).
   *
   * @return the session after them: {@code s}, or the copy a fired move worked on
   */
  private Session fireDue(Protocol p, Session s, long upTo, List<Output> out) {
    while (!s.isFinal()) {
      long next = s.nextProtocolDeadline();
      if (next == Session.NONE || next > upTo) {
        break;
      }
      if (s.sessionDeadline != Session.NONE && s.sessionDeadline <= next) {
        s = fireSessionTimeout(p, s, out); // the outer bound wins a tie
      } else {
        s = fireStateTimeout(p, s, out);
      }
    }
    return s;
  }

  private Session fireSessionTimeout(Protocol p, Session s, List<Output> out) {
    long deadline = s.sessionDeadline;
    s.sessionDeadline = Session.NONE; // consumed, whatever the move does
    Timeout t = p.sessionTimeout();
    if (t == null) {
      out.add(
          deadlineAudit(
              s,
              null,
              s.state,
              s.seq,
              deadline,
              null,
              "session deadline without sessionTimeout in " + p.id() + "; cleared"));
      return s;
    }
    String detail = "session timeout " + Durations.format(t.after()) + " from creation";
    EventView event = new EventView(null, null, Map.of(), deadline);
    Origin origin = new Origin(s.state, BackoutReason.SESSION_TIMEOUT, deadline);
    return fireMove(
        p, s, Candidate.to(t.to()), Trigger.SESSION_TIMEOUT, null, event, origin, detail, out);
  }

  private Session fireStateTimeout(Protocol p, Session s, List<Output> out) {
    long deadline = s.stateDeadline;
    s.stateDeadline = Session.NONE; // consumed, whatever the move does
    Timeout t = p.state(s.state).timeout();
    if (t == null) {
      out.add(
          deadlineAudit(
              s,
              null,
              s.state,
              s.seq,
              deadline,
              null,
              "no timeout in state " + s.state + "; cleared"));
      return s;
    }
    EventView event = new EventView(t.event(), "", Map.of(), deadline);
    Origin origin = new Origin(s.state, BackoutReason.TIMEOUT, deadline);
    String detail = "timeout " + Durations.format(t.after()) + " in " + s.state;
    Candidate chosen;
    try {
      chosen =
          t.to() != null
              ? Candidate.to(t.to())
              : choose(p.state(s.state).on().get(t.event()), event, s);
    } catch (EvaluationException ex) {
      return fireError(p, s, t.event(), event, deadline, detail, ex, out);
    }
    if (chosen == null) {
      out.add(
          deadlineAudit(
              s,
              t.event(),
              s.state,
              s.seq,
              deadline,
              null,
              detail + ": " + t.event() + " matched no guard; deadline cleared"));
      return s;
    }
    return fireMove(p, s, chosen, Trigger.TIMEOUT, t.event(), event, origin, detail, out);
  }

  /**
   * A deadline's move and its {@code always} chain, all or nothing, like an event's: when it fails
   * with nowhere to go, nothing moves and only the consumed deadline changed.
   */
  private Session fireMove(
      Protocol p,
      Session s,
      Candidate chosen,
      Trigger trigger,
      String eventType,
      EventView event,
      Origin origin,
      String detail,
      List<Output> out) {
    long deadline = event.timestamp;
    Map<String, Object> data;
    try {
      data = assign(chosen, event, s);
    } catch (EvaluationException ex) {
      return fireError(p, s, eventType, event, deadline, detail, ex, out);
    }
    Session m = s.copy();
    int mark = out.size();
    try {
      String error =
          move(p, m, chosen.to(), trigger, null, eventType, event, data, origin, null, out);
      out.add(
          deadlineAudit(
              m,
              eventType,
              s.state,
              s.seq,
              deadline,
              error == null ? null : Reason.GUARD_ERROR,
              error == null ? detail : detail + "; " + error + "; sent to " + p.onError()));
      return m;
    } catch (EvaluationException | TooLarge ex) {
      out.subList(mark, out.size()).clear();
      out.add(
          deadlineAudit(
              s,
              eventType,
              s.state,
              s.seq,
              deadline,
              reasonOf(ex),
              detail + ": " + ex.getMessage() + "; nothing moved, deadline cleared"));
      return s;
    }
  }

  /** A deadline's guard or assignment failed: to onError, or nothing moves. */
  private Session fireError(
      Protocol p,
      Session s,
      String eventType,
      EventView event,
      long deadline,
      String detail,
      EvaluationException ex,
      List<Output> out) {
    String failed = detail + ": " + ex.getMessage();
    Reason reason = Reason.GUARD_ERROR;
    if (p.onError() != null) {
      Session m = s.copy();
      int mark = out.size();
      try {
        Origin err = new Origin(s.state, BackoutReason.ERROR, deadline);
        move(p, m, p.onError(), Trigger.ERROR, null, eventType, event, m.data, err, failed, out);
        out.add(
            deadlineAudit(
                m,
                eventType,
                s.state,
                s.seq,
                deadline,
                Reason.GUARD_ERROR,
                failed + "; sent to " + p.onError()));
        return m;
      } catch (EvaluationException | TooLarge chain) {
        out.subList(mark, out.size()).clear();
        failed = chain.getMessage();
        reason = reasonOf(chain);
      }
    }
    out.add(
        deadlineAudit(
            s,
            eventType,
            s.state,
            s.seq,
            deadline,
            reason,
            failed + "; nothing moved, deadline cleared"));
    return s;
  }

  // ---- moves ----

  /** Where a chain of moves started, for the backout record. */
  private record Origin(String stalledState, BackoutReason reason, Long deadline) {}

  /** An event's move: its id and type go on the transitions. */
  private String move(
      Protocol p,
      Session s,
      String to,
      Trigger trigger,
      EventView event,
      Map<String, Object> data,
      Origin origin,
      String routed,
      List<Output> out) {
    return move(p, s, to, trigger, event.id, event.type, event, data, origin, routed, out);
  }

  /**
   * One move and the {@code always} chain it leads to (CoinSwap's auto_continue), on {@code s}. An
   * {@code always} guard or assignment that fails to evaluate sends the session to onError (trigger
   * ERROR) and the chain goes on from there. The loader guarantees chains end; the count here only
   * guards against a broken invariant.
   *
   * @param routed the error that already sent this move to onError, or null
   * @return the error that sent the session to onError, or null
   * @throws EvaluationException when a failure has nowhere to go (no onError, or a second failure
   *     in one move): the caller undoes the whole move by dropping {@code s} and its outputs
   */
  private String move(
      Protocol p,
      Session s,
      String to,
      Trigger trigger,
      String eventId,
      String eventType,
      EventView event,
      Map<String, Object> data,
      Origin origin,
      String routed,
      List<Output> out) {
    long at = event.timestamp;
    enter(p, s, to, trigger, eventId, eventType, at, data, origin, out);
    for (int i = 0; i <= 64; i++) {
      StateDef st = p.state(s.state);
      if (st.isFinal() || st.always().isEmpty()) {
        return routed;
      }
      Candidate c;
      Map<String, Object> next;
      try {
        c = choose(st.always(), event, s);
        if (c == null) {
          return routed;
        }
        next = assign(c, event, s);
      } catch (EvaluationException ex) {
        String message = "always in " + s.state + ": " + ex.getMessage();
        if (p.onError() == null || routed != null) {
          throw new EvaluationException(
              routed == null ? message : routed + "; then " + message, ex);
        }
        routed = message;
        origin = new Origin(s.state, BackoutReason.ERROR, origin.deadline());
        enter(p, s, p.onError(), Trigger.ERROR, eventId, eventType, at, s.data, origin, out);
        continue;
      }
      enter(p, s, c.to(), Trigger.ALWAYS, eventId, eventType, at, next, origin, out);
    }
    throw new IllegalStateException(
        "Expected always chains in " + p.id() + " to end (checked on load), but one did not");
  }

  /** Enters {@code to}: one transition (also to the same state), deadlines re-armed. */
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
    Map<String, Object> before = s.data;
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
    if (data != before) {
      checkSize(s, before);
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
            snapshot,
            s.incarnation));
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
              s.historyForOutput(),
              s.incarnation));
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
  private void checkSize(Session s, Map<String, Object> before) {
    long size = SessionCodec.size(s);
    if (size > config.maxSessionBytes()
        && SessionCodec.dataSize(s.data) > SessionCodec.dataSize(before)) {
      throw new TooLarge(
          "the move to "
              + s.state
              + " would make the session "
              + size
              + " bytes; the limit is "
              + config.maxSessionBytes()
              + " (statewarden.session.max.bytes)");
    }
  }

  /** A move that would take the session past its size limit; it does not happen. */
  private static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  private static Reason reasonOf(RuntimeException failed) {
    return failed instanceof TooLarge ? Reason.LIMIT_EXCEEDED : Reason.GUARD_ERROR;
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
      Session s,
      String eventType,
      String before,
      long seqBefore,
      long deadline,
      Reason reason,
      String detail) {
    return new Audit(
        s.id,
        s.protocol,
        null,
        eventType,
        Decision.DEADLINE_FIRED,
        reason,
        detail,
        before,
        s.state,
        s.seq > seqBefore ? s.seq : null,
        deadline,
        null);
  }
}
