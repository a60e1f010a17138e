package io.statewarden.topology;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The pending due times of one task's sessions, in time order, in memory. It is derived state: the
 * processor rebuilds it from the sessions store when the task starts (after restoration), and moves
 * a session's entry whenever its due time changes, so it never holds a stale entry and needs no
 * changelog (docs/decisions/0005-in-memory-deadline-index.md). A punctuation takes the earliest
 * entries up to now, so its cost does not grow with the number of pending deadlines.
 *
 * <p>Used by the stream thread that owns the task only; {@link #size()} may be read by others.
 */
public final class DeadlineIndex {
  /** A pending due time, and whose. */
  public record Entry(long deadline, String sessionId) implements Comparable<Entry> {
    @Override
    public int compareTo(Entry o) {
      int c = Long.compare(deadline, o.deadline);
      return c != 0 ? c : sessionId.compareTo(o.sessionId);
    }
  }

  private final TreeSet<Entry> entries = new TreeSet<>();
  private volatile int size;

  /**
   * Session {@code id}'s due time changed from {@code was} to {@code now}; either may be {@link
   * Session#NONE} (no deadline pending).
   */
  public void move(String id, long was, long now) {
    if (was == now) {
      return;
    }
    if (was != Session.NONE) {
      entries.remove(new Entry(was, id));
    }
    if (now != Session.NONE) {
      entries.add(new Entry(now, id));
    }
    size = entries.size();
  }

  /**
   * Takes up to {@code limit} entries due at or before {@code upTo} out of the index, earliest
   * first.
   */
  public List<Entry> takeDue(long upTo, int limit) {
    List<Entry> out = new ArrayList<>();
    while (out.size() < limit && !entries.isEmpty() && entries.first().deadline() <= upTo) {
      out.add(entries.pollFirst());
    }
    size = entries.size();
    return out;
  }

  /** Pending entries. */
  public int size() {
    return size;
  }
}
