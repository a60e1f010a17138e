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

  private final KeyValueStore<String, byte[]> store;

  /** The list index's store, written directly, under Kafka's wrappers (decision 0025). */
  private final SkipListStore listIndex;

  private final Map<String, Long> live = new HashMap<>();
  private final ToLongFunction<Session> dueAt;
  private final Counts counts;
  private final DeadlineIndex index = new DeadlineIndex();

  /**
   * @param dueAt a session's due time ({@code Engine::dueAt}), or null to keep no deadline index (a
   *     replay fires only the timers in the log)
   * @throws IllegalArgumentException when {@code listIndex} is not a {@link SkipListStore}
   */
  public StoreSessionState(
      KeyValueStore<String, byte[]> store,
      KeyValueStore<String, byte[]> listIndex,
      ToLongFunction<Session> dueAt,
      Counts counts) {
    this.store = store;
    this.listIndex = SkipListStore.unwrap(listIndex);
    if (this.listIndex == null) {
      throw new IllegalArgumentException("The session list index must be a SkipListStore");
    }
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
    listIndex.move(before, after);
    if (before != null && !before.isFinal()) {
      counts.add(before.protocol(), before.state(), -1);
      live.merge(before.protocol(), -1L, Long::sum);
    }
    if (after != null && !after.isFinal()) {
      counts.add(after.protocol(), after.state(), 1);
      live.merge(after.protocol(), 1L, Long::sum);
    }
    if (dueAt != null) {
      index.move(id, due(before), due(after), after == null ? 0 : after.seq());
    }
  }

  @Override
  public List<Due> takeDue(long now, int limit) {
    List<Due> out = new ArrayList<>();
    for (DeadlineIndex.Entry e : index.takeDue(now, limit)) {
      out.add(new Due(e.sessionId(), e.deadline(), e.seq()));
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
    listIndex.clear();
    List<Undecodable> bad = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        // what the indexes read, without building data, event ids and history (decision 29); a
        // value it refuses is decoded in full, for the refusal's reason
        Session s = SessionCodec.decodeForIndex(kv.value);
        try {
          if (s == null) s = SessionState.decode(kv.key, kv.value);
        } catch (UndecodableSessionException e) {
          bad.add(new Undecodable(kv.key, kv.value, e));
          continue;
        }
        listIndex.move(null, s);
        if (!s.isFinal()) {
          counts.add(s.protocol(), s.state(), 1);
          live.merge(s.protocol(), 1L, Long::sum);
        }
        if (dueAt != null) index.move(kv.key, Session.NONE, dueAt.applyAsLong(s), s.seq());
      }
    }
    return bad;
  }

  @Override
  public void close() {
    // a task given up (recycled into a standby, which never reads it) keeps no index in the heap
    listIndex.clear();
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
