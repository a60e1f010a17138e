package io.statewarden.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Pending deadlines in time order: key = 8-byte big-endian deadline (sign bit flipped, so byte
 * order is numeric order) + session id. A punctuation range-scans from a cursor up to now, so its
 * cost does not grow with the number of pending deadlines.
 *
 * <p>Every session with a due time has an entry at or before it. An entry is written only when a
 * session gets a due time earlier than the one its entries cover, and old entries are not deleted
 * then: when one comes due and no longer matches the session, it is dropped, or moved to the
 * session's later due time (see docs/decisions/0003-deadline-index.md). Scans start at the last
 * position reached, so they do not walk over the delete markers of entries already fired.
 */
public final class DeadlineIndex {
  /** A due entry: when, and whose. */
  public record Entry(long deadline, String sessionId, Bytes key) {}

  private final KeyValueStore<Bytes, byte[]> store;
  private long cursor = Long.MIN_VALUE;

  public DeadlineIndex(KeyValueStore<Bytes, byte[]> store) {
    this.store = store;
  }

  public void add(long deadline, String sessionId) {
    if (deadline < cursor) {
      cursor = deadline; // a deadline already in the past: make the next scan see it
    }
    store.put(key(deadline, sessionId), new byte[0]);
  }

  public void remove(Entry e) {
    store.delete(e.key());
  }

  /** Up to {@code limit} entries due at or before {@code upTo}, earliest first. */
  public List<Entry> due(long upTo, int limit) {
    List<Entry> out = new ArrayList<>();
    if (upTo < cursor) {
      return out;
    }
    try (KeyValueIterator<Bytes, byte[]> it = store.range(key(cursor, ""), key(upTo, "\uFFFF"))) {
      while (it.hasNext() && out.size() < limit) {
        Bytes k = it.next().key;
        out.add(new Entry(deadlineOf(k), sessionOf(k), k));
      }
    }
    cursor = out.size() < limit ? upTo : out.get(out.size() - 1).deadline();
    return out;
  }

  static Bytes key(long deadline, String sessionId) {
    byte[] id = sessionId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(8 + id.length).putLong(deadline ^ Long.MIN_VALUE).put(id).array());
  }

  static long deadlineOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong() ^ Long.MIN_VALUE;
  }

  static String sessionOf(Bytes key) {
    byte[] k = key.get();
    return new String(k, 8, k.length - 8, StandardCharsets.UTF_8);
  }
}
