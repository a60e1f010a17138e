package io.statewarden.state;

import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link MutableSessionState} over the task's changelogged RocksDB store (session id to {@link
 * SessionCodec} bytes), with its {@link SessionIndex} (an unlogged in-memory store), a {@link
 * DeadlineIndex} and the live sessions per protocol in memory, all three rebuilt from the sessions
 * when the task starts. Owned by the stream thread of the task.
 */
public final class StoreSessionState implements MutableSessionState {
  /** Active (not final) sessions by protocol and state, as the metrics keep them. */
  public interface Counts {
    void add(String protocol, String state, long n);
  }

  private static final byte[] EMPTY = new byte[0];

  private final KeyValueStore<String, byte[]> store;
  private final KeyValueStore<String, byte[]> listIndex;

  /** The list index's own store, written directly (null: another store, written by its keys). */
  private final SkipListStore raw;

  private final Map<String, Long> live = new HashMap<>();
  private final ToLongFunction<Session> dueAt;
  private final Counts counts;
  private final DeadlineIndex index = new DeadlineIndex();

  /**
   * @param dueAt a session's due time ({@code Engine::dueAt}), or null to keep no deadline index (a
   *     replay fires only the timers in the log)
   */
  public StoreSessionState(
      KeyValueStore<String, byte[]> store,
      KeyValueStore<String, byte[]> listIndex,
      ToLongFunction<Session> dueAt,
      Counts counts) {
    this.store = store;
    this.listIndex = listIndex;
    this.raw = SkipListStore.unwrap(listIndex);
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
    if (raw != null) {
      raw.move(before, after);
    } else {
      String oldKey = before == null ? null : SessionIndex.key(before);
      String newKey = after == null ? null : SessionIndex.key(after);
      if (oldKey != null && !oldKey.equals(newKey)) listIndex.delete(oldKey);
      if (newKey != null && !newKey.equals(oldKey)) listIndex.put(newKey, EMPTY);
    }
    if (before != null && !before.isFinal()) {
      counts.add(before.protocol(), before.state(), -1);
      live.merge(before.protocol(), -1L, Long::sum);
    }
    if (after != null && !after.isFinal()) {
      counts.add(after.protocol(), after.state(), 1);
      live.merge(after.protocol(), 1L, Long::sum);
    }
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
  public long live(String protocol) {
    return live.getOrDefault(protocol, 0L);
  }

  @Override
  public List<Undecodable> rebuild() {
    // the index is derived, in memory and unlogged (decision 0025): whatever it holds (a store
    // kept across a task's re-initialization) is dropped and written again from the sessions,
    // under Kafka's wrappers (this runs in the processor's init, where they have no record)
    if (raw != null) {
      raw.clear();
    } else {
      List<String> stale = new ArrayList<>();
      try (KeyValueIterator<String, byte[]> it = listIndex.all()) {
        it.forEachRemaining(kv -> stale.add(kv.key));
      }
      stale.forEach(listIndex::delete);
    }
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
        if (raw != null) raw.move(null, s);
        else listIndex.put(SessionIndex.key(s), EMPTY);
        if (!s.isFinal()) {
          counts.add(s.protocol(), s.state(), 1);
          live.merge(s.protocol(), 1L, Long::sum);
        }
        if (dueAt != null) index.move(kv.key, Session.NONE, dueAt.applyAsLong(s));
      }
    }
    return bad;
  }

  @Override
  public void close() {
    // a task given up (recycled into a standby, which never reads it) keeps no index in the heap
    if (raw != null) raw.clear();
  }

  @Override
  public void quarantine(String id) {
    store.delete(id); // never indexed: rebuild() indexes only what it can decode
  }

  @Override
  public int pendingDeadlines() {
    return index.size();
  }

  private long due(Session s) {
    return s == null ? Session.NONE : dueAt.applyAsLong(s);
  }
}
