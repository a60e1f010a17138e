package io.statewarden.state;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link DeadlineIndex} as it was before issue 16 (a hash map per one-second bucket), kept as the
 * "before" of {@code bench.HotPathBenchmark}; not used by the application. Its description then:
 *
 * <p>The pending due times of one task's sessions, in memory, grouped in one-second buckets in time
 * order. It is derived state: the processor rebuilds it from the sessions store when the task
 * starts (after restoration), and moves a session's entry whenever its due time changes, so it
 * never holds a stale entry and needs no changelog
 * (docs/decisions/0005-in-memory-deadline-index.md). A punctuation takes entries from the earliest
 * buckets up to now, so its cost does not grow with the number of pending deadlines. Moving an
 * entry is two hash operations and a lookup among the buckets, not a walk down a tree of all
 * entries.
 *
 * <p>Used by the stream thread that owns the task only; {@link #size()} may be read by others.
 */
public final class DeadlineIndexBaseline {
  /** A pending due time, and whose. */
  public record Entry(long deadline, String sessionId) {}

  private static final long BUCKET_MS = 1_000;

  /** Bucket start to (session id to due time). */
  private final TreeMap<Long, Map<String, Long>> buckets = new TreeMap<>();

  private volatile int size;

  /**
   * Session {@code id}'s due time changed from {@code was} to {@code now}; either may be {@link
   * Session#NONE} (no deadline pending).
   */
  public void move(String id, long was, long now) {
    if (was == now) {
      return;
    }
    int n = size;
    if (was != Session.NONE) {
      Long bucket = bucketOf(was);
      Map<String, Long> b = buckets.get(bucket);
      if (b != null && b.remove(id, was)) {
        n--;
        if (b.isEmpty()) buckets.remove(bucket);
      }
    }
    if (now != Session.NONE
        && buckets.computeIfAbsent(bucketOf(now), k -> new HashMap<>()).put(id, now) == null) {
      n++;
    }
    size = n;
  }

  /**
   * Takes up to {@code limit} entries due at or before {@code upTo} out of the index, earlier
   * buckets first (within a bucket, in no particular order).
   */
  public List<Entry> takeDue(long upTo, int limit) {
    List<Entry> out = new ArrayList<>();
    Iterator<Map.Entry<Long, Map<String, Long>>> it =
        buckets.headMap(bucketOf(upTo), true).entrySet().iterator();
    while (it.hasNext() && out.size() < limit) {
      Map<String, Long> b = it.next().getValue();
      Iterator<Map.Entry<String, Long>> e = b.entrySet().iterator();
      while (e.hasNext() && out.size() < limit) {
        Map.Entry<String, Long> x = e.next();
        if (x.getValue() <= upTo) {
          out.add(new Entry(x.getValue(), x.getKey()));
          e.remove();
        }
      }
      if (b.isEmpty()) it.remove();
    }
    size -= out.size();
    return out;
  }

  /** Pending entries. */
  public int size() {
    return size;
  }

  private static Long bucketOf(long due) {
    return Math.floorDiv(due, BUCKET_MS);
  }
}
