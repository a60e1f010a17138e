package io.statewarden.state;

import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The read side of one task's sessions: what the HTTP query path and the processor read. The
 * processor alone writes, through {@link MutableSessionState}.
 */
public interface SessionState {
  /**
   * The stored session, or null when there is none.
   *
   * @throws UndecodableSessionException when the stored value is not a session of a known format
   */
  Session get(String id);

  /** Reads sessions from a store (an interactive-query view, or the processor's own store). */
  static SessionState of(ReadOnlyKeyValueStore<String, byte[]> store) {
    return id -> decode(id, store.get(id));
  }

  /** Decodes a stored value; null stays null. */
  static Session decode(String id, byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return SessionCodec.decode(bytes);
    } catch (RuntimeException e) {
      throw new UndecodableSessionException(id, e);
    }
  }
}
