package io.statewarden.sim;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Event;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs the engine over a scenario with no Kafka, as the processor would: sessions in a map, events
 * applied in order. Time moves only with {@code advanceTo T}, which fires every deadline due by T
 * (earliest first, ties by session id), as the processor's punctuator does. An event at time T
 * first fires its own session's deadlines due by T (deadlines before late events), but not other
 * sessions'.
 */
public final class Simulator {
  private final Engine engine;
  private final Map<String, Session> sessions = new TreeMap<>();
  private long now = Long.MIN_VALUE;

  public Simulator(Engine engine) {
    this.engine = engine;
  }

  /** Applies one event; returns what the processor would publish for it (and for deadlines). */
  public List<Output> event(Event e) {
    List<Output> out = new ArrayList<>();
    String key = e.key() != null ? e.key() : e.sessionId();
    Session current = key == null ? null : sessions.get(key);
    Result r = engine.onEvent(current, e);
    store(key, r);
    out.addAll(r.outputs());
    return out;
  }

  /** Moves time to {@code t}, firing every deadline due by then in time order. */
  public List<Output> advanceTo(long t) {
    List<Output> out = new ArrayList<>();
    now = Math.max(now, t);
    while (true) {
      String nextId = null;
      long nextDue = Long.MAX_VALUE;
      for (var e : sessions.entrySet()) {
        long due = engine.dueAt(e.getValue());
        if (due != Session.NONE && due <= now && due < nextDue) {
          nextDue = due;
          nextId = e.getKey();
        }
      }
      if (nextId == null) {
        return out;
      }
      Result r = engine.onTime(sessions.get(nextId), nextDue);
      store(nextId, r);
      out.addAll(r.outputs());
    }
  }

  public Session session(String id) {
    return sessions.get(id);
  }

  private void store(String key, Result r) {
    if (!r.changed() || key == null) {
      return;
    }
    if (r.session() == null) {
      sessions.remove(key);
    } else {
      sessions.put(key, r.session());
    }
  }
}
