package io.statewarden.state;

import io.statewarden.engine.Session;
import java.util.List;

/**
 * One task's sessions as the processor changes them: the store, the in-memory deadline index and
 * the per-state counts, kept together so that one invariant lives in one place: <b>every stored
 * session with a due time has exactly one pending deadline</b>, either an entry in the index or a
 * timer record in flight in the log (taken out by {@link #takeDue}). Every write goes through
 * {@link #put}, which moves the session's index entry from its old due time to its new one; a timer
 * read back for a session still due by the timer's time fires it (see {@code Engine.onTimer}), so
 * an in-flight timer covers a session whose due time an earlier event left unchanged
 * (docs/decisions/0006-deadline-invariant.md).
 *
 * <p>Store failures propagate: they abort the task's transaction, the task is restored from its
 * changelog and {@link #rebuild()} runs again, so the index and the counts never diverge from the
 * committed store.
 */
public interface MutableSessionState extends SessionState {
  /**
   * A due time taken out of the index: its timer record is now in flight. {@code seq} is the
   * session's seq as last put, for the timer record (the index keeps it, so taking needs no read).
   */
  record Due(String sessionId, long deadline, long seq) {}

  /** A stored value that could not be decoded while rebuilding, to be quarantined. */
  record Undecodable(String sessionId, byte[] value, UndecodableSessionException error) {}

  /**
   * Session {@code id} changed from {@code before} to {@code after} (either may be null: created,
   * deleted): writes the store, moves the deadline entry, adjusts the per-state counts.
   */
  void put(String id, Session before, Session after);

  /**
   * Takes up to {@code limit} sessions due at or before {@code now} out of the index, earlier due
   * times first. The caller writes one timer record for each.
   */
  List<Due> takeDue(long now, int limit);

  /**
   * Reads every stored session once, counting the active ones by state and indexing the due times
   * and the session list, and returns the values that cannot be decoded (left in the store, not
   * indexed or counted). Called when the task starts, before it processes anything.
   */
  List<Undecodable> rebuild();

  /**
   * Live (not final) sessions of {@code protocol} (any version) in this task: the count the
   * concurrency cap reads. Derived from the store by {@link #rebuild()}, then kept by {@link #put}.
   */
  long live(String protocol);

  /** The task is closing: drops what is derived and held in memory. */
  default void close() {}

  /** Removes a value that {@link #rebuild()} could not decode. */
  void quarantine(String id);

  /** Entries pending in the index. */
  int pendingDeadlines();
}
