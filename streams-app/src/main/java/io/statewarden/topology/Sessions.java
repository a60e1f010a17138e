package io.statewarden.topology;

import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The sessions store: session id to {@link SessionCodec} bytes, in RocksDB with a changelog. The
 * read side is what the query API sees; the processor alone writes.
 */
public final class Sessions {
  private Sessions() {}

  public static Session read(ReadOnlyKeyValueStore<String, byte[]> store, String id) {
    byte[] bytes = store.get(id);
    return bytes == null ? null : SessionCodec.decode(bytes);
  }

  static void write(KeyValueStore<String, byte[]> store, String id, Session s) {
    if (s == null) {
      store.delete(id);
    } else {
      store.put(id, SessionCodec.encode(s));
    }
  }
}
