package io.statewarden.state;

import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link MutableSessionState} over the task's changelogged RocksDB store (session id to {@link
 * SessionCodec} bytes), with a {@link DeadlineIndex} in memory. Owned by the stream thread of the
 * task.
 */
public final class StoreSessionState implements MutableSessionState {
  /** Active (not final) sessions by protocol and state, as the metrics keep them. */
  public interface Counts {
    void add(String protocol, String state, long n);
  }

  private final KeyValueStore<String, byte[]> store;
  private final ToLongFunction<Session> dueAt;
  private final Counts counts;
  private final DeadlineIndex index = new DeadlineIndex();

  /**
   * @param dueAt a session's due time ({@code Engine::dueAt}), or null to keep no deadline index (a
   *     replay fires only the timers in the log)
   */
  public StoreSessionState(
      KeyValueStore<String, byte[]> store, ToLongFunction<Session> dueAt, Counts counts) {
    this.store = store;
    this.dueAt = dueAt;
    this.counts = counts;
  }

  @Override
  public Session get(String id) {
    return SessionState.decode(id, store.get(id));
  }

  @Override
  public void put(String id, Session before, Session after) {
    if (after == null) {
      store.delete(id);
    } else {
      store.put(id, SessionCodec.encode(after));
    }
    if (before != null && !before.isFinal()) counts.add(before.protocol(), before.state(), -1);
    if (after != null && !after.isFinal()) counts.add(after.protocol(), after.state(), 1);
    if (dueAt != null) {
      index.move(id, due(before), due(after));
    }
  }

  @Override
  public List<Due> takeDue(long now, int limit) {
    List<Due> out = new ArrayList<>();
    for (DeadlineIndex.Entry e : index.takeDue(now, limit)) {
      out.add(new Due(e.sessionId(), e.deadline()));
    }
    return out;
  }

  @Override
  public List<Undecodable> rebuild() {
    List<Undecodable> bad = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        Session s;
        try {
          s = SessionState.decode(kv.key, kv.value);
        } catch (UndecodableSessionException e) {
          bad.add(new Undecodable(kv.key, kv.value, e));
          continue;
        }
        if (!s.isFinal()) counts.add(s.protocol(), s.state(), 1);
        if (dueAt != null) index.move(kv.key, Session.NONE, dueAt.applyAsLong(s));
      }
    }
    return bad;
  }

  @Override
  public void quarantine(String id) {
    store.delete(id);
  }

  @Override
  public int pendingDeadlines() {
    return index.size();
  }

  private long due(Session s) {
    return s == null ? Session.NONE : dueAt.applyAsLong(s);
  }
}
