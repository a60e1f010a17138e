package io.statewarden.state;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pending due times of one task's sessions, in memory, grouped in one-second buckets in time
 * order. It is derived state: the processor rebuilds it from the sessions store when the task
 * starts (after restoration), and moves a session's entry whenever its due time changes (and
 * updates the seq it keeps on every write of the session), so it never holds a stale entry and
 * needs no changelog (docs/decisions/0005-in-memory-deadline-index.md). A punctuation takes entries
 * from the earliest buckets up to now, so its cost does not grow with the number of pending
 * deadlines.
 *
 * <p>Layout: one entry per session, found by its id in one map, and linked into the list of its
 * bucket. Moving a session's due time is one hash lookup and relinking its entry (no allocation);
 * the bucket is usually the one the last move went to (due times of consecutive events fall in the
 * same second), else a lookup among the buckets.
 *
 * <p>Used by the stream thread that owns the task only; {@link #size()} may be read by others.
 */
public final class DeadlineIndex {
  /** A pending due time, whose, and that session's seq as last moved. */
  public record Entry(long deadline, String sessionId, long seq) {}

  private static final long BUCKET_MS = 1_000;

  /** Session id to its entry. */
  private final Map<String, Node> byId = new HashMap<>();

  /** Bucket (second) to its entries; no bucket is empty. */
  private final TreeMap<Long, Bucket> buckets = new TreeMap<>();

  /** The bucket the last entry was linked into, or null. */
  private Bucket last;

  private volatile int size;

  /**
   * Session {@code id}'s due time changed from {@code was} to {@code now}; either may be {@link
   * Session#NONE} (no deadline pending). A session has at most one entry: {@code now} replaces it.
   * Its entry keeps {@code seq}, the session's seq after the change, also when the due time stayed
   * (so a punctuation logs the seq without reading the session back).
   */
  public void move(String id, long was, long now, long seq) {
    if (was == now) {
      if (now != Session.NONE) {
        Node node = byId.get(id);
        if (node != null) node.seq = seq;
      }
      return;
    }
    Node node = byId.get(id);
    if (now == Session.NONE) {
      if (node != null && node.due == was) {
        unlink(node);
        byId.remove(id);
        size--;
      }
      return;
    }
    if (node == null) {
      node = new Node(id);
      byId.put(id, node);
      size++;
    } else {
      unlink(node);
    }
    node.due = now;
    node.seq = seq;
    bucket(Math.floorDiv(now, BUCKET_MS)).link(node);
  }

  /**
   * Takes up to {@code limit} entries due at or before {@code upTo} out of the index, earlier
   * buckets first (within a bucket, in no particular order).
   */
  public List<Entry> takeDue(long upTo, int limit) {
    List<Entry> out = new ArrayList<>();
    Iterator<Bucket> it = buckets.headMap(Math.floorDiv(upTo, BUCKET_MS), true).values().iterator();
    while (it.hasNext() && out.size() < limit) {
      Bucket b = it.next();
      Node x = b.head;
      while (x != null && out.size() < limit) {
        Node next = x.next;
        if (x.due <= upTo) {
          out.add(new Entry(x.due, x.id, x.seq));
          b.unlink(x);
          byId.remove(x.id);
        }
        x = next;
      }
      if (b.head == null) {
        it.remove();
        if (b == last) last = null;
      }
    }
    size -= out.size();
    return out;
  }

  /** Pending entries. */
  public int size() {
    return size;
  }

  private Bucket bucket(long second) {
    if (last != null && last.second == second) {
      return last;
    }
    Bucket b = buckets.get(second);
    if (b == null) {
      b = new Bucket(second);
      buckets.put(second, b);
    }
    last = b;
    return b;
  }

  private void unlink(Node node) {
    Bucket b = node.bucket;
    b.unlink(node);
    if (b.head == null) {
      buckets.remove(b.second);
      if (b == last) last = null;
    }
  }

  /** A session's entry: its due time, in the list of its bucket. */
  private static final class Node {
    final String id;
    long due;
    long seq;
    Bucket bucket;
    Node prev;
    Node next;

    Node(String id) {
      this.id = id;
    }
  }

  /** The entries due within one second, in a doubly linked list. */
  private static final class Bucket {
    final long second;
    Node head;

    Bucket(long second) {
      this.second = second;
    }

    void link(Node n) {
      n.bucket = this;
      n.prev = null;
      n.next = head;
      if (head != null) head.prev = n;
      head = n;
    }

    void unlink(Node n) {
      if (n.prev == null) head = n.next;
      else n.prev.next = n.next;
      if (n.next != null) n.next.prev = n.prev;
      n.prev = null;
      n.next = null;
      n.bucket = null;
    }
  }
}
