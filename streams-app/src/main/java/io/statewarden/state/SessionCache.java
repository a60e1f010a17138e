package io.statewarden.state;

import io.statewarden.engine.Session;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * One task's recently used sessions, decoded, least recently used out first, bounded by the sum of
 * their encoded sizes (decision 0027). Holds only what the store holds: {@link StoreSessionState}
 * fills it from what it reads and writes, with sessions the codec gives back exactly. Owned by the
 * task's stream thread; not thread-safe.
 */
final class SessionCache {
  private record Entry(Session session, int bytes) {}

  private final long maxBytes;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;

  /** Keeps sessions up to {@code maxBytes} encoded bytes in all; 0 keeps none. */
  SessionCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The session kept for {@code id}, or null. */
  Session get(String id) {
    Entry e = entries.get(id);
    return e == null ? null : e.session();
  }

  /** Keeps {@code s}, {@code size} bytes encoded, evicting the least recently used as needed. */
  void put(String id, Session s, int size) {
    if (size > maxBytes) {
      remove(id);
      return;
    }
    Entry old = entries.put(id, new Entry(s, size));
    bytes += size - (old == null ? 0 : old.bytes());
    Iterator<Entry> eldest = entries.values().iterator();
    while (bytes > maxBytes) {
      bytes -= eldest.next().bytes();
      eldest.remove();
    }
  }

  void remove(String id) {
    Entry old = entries.remove(id);
    if (old != null) bytes -= old.bytes();
  }

  void clear() {
    entries.clear();
    bytes = 0;
  }

  /** Sessions kept. */
  int size() {
    return entries.size();
  }

  /** Their encoded bytes. */
  long bytes() {
    return bytes;
  }
}
