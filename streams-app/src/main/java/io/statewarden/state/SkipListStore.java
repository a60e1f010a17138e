package io.statewarden.state;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * An in-memory key-value store, sorted, whose range scans walk the map itself: a page of the
 * session list costs the keys it reads, not the keys of the whole range. Kafka Streams' own
 * in-memory store copies every key of a range into a new set before the first one is returned,
 * which would make a page cost the size of its state group. Readers on other threads (interactive
 * queries) iterate while the stream thread writes; iterators are weakly consistent.
 *
 * <p>Not persistent and not logged: it holds derived state that its processor rebuilds from a
 * changelogged store when the task starts (docs/decisions/0025-session-index-in-memory.md).
 */
public final class SkipListStore implements KeyValueStore<Bytes, byte[]> {
  private final String name;
  private final ConcurrentSkipListMap<Bytes, byte[]> map = new ConcurrentSkipListMap<>();
  private volatile boolean open;

  public SkipListStore(String name) {
    this.name = name;
  }

  /** A supplier for {@code Stores.keyValueStoreBuilder}; build it with logging disabled. */
  public static KeyValueBytesStoreSupplier supplier(String name) {
    return new KeyValueBytesStoreSupplier() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public KeyValueStore<Bytes, byte[]> get() {
        return new SkipListStore(name);
      }

      @Override
      public String metricsScope() {
        return "in-memory";
      }
    };
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    // nothing to restore: the processor derives the content (an unlogged store never gets records)
    context.register(root, (key, value) -> {});
    open = true;
  }

  @Override
  public void close() {
    map.clear();
    open = false;
  }

  @Override
  public boolean persistent() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    return QueryResult.forUnknownQueryType(query, this);
  }

  @Override
  public Position getPosition() {
    return Position.emptyPosition();
  }

  @Override
  public byte[] get(Bytes key) {
    return map.get(key);
  }

  @Override
  public void put(Bytes key, byte[] value) {
    if (value == null) {
      map.remove(key);
    } else {
      map.put(key, value);
    }
  }

  @Override
  public byte[] putIfAbsent(Bytes key, byte[] value) {
    return value == null ? map.get(key) : map.putIfAbsent(key, value);
  }

  @Override
  public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
    entries.forEach(kv -> put(kv.key, kv.value));
  }

  @Override
  public byte[] delete(Bytes key) {
    return map.remove(key);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
    return iterate(from, to, false);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
    return iterate(from, to, true);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    return iterate(null, null, false);
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> reverseAll() {
    return iterate(null, null, true);
  }

  @Override
  public long approximateNumEntries() {
    return map.size();
  }

  private KeyValueIterator<Bytes, byte[]> iterate(Bytes from, Bytes to, boolean reverse) {
    NavigableMap<Bytes, byte[]> view = map;
    if (from != null && to != null && from.compareTo(to) > 0) {
      view = new ConcurrentSkipListMap<>(); // as Kafka Streams' stores: an empty range
    } else if (from != null && to != null) {
      view = map.subMap(from, true, to, true);
    } else if (from != null) {
      view = map.tailMap(from, true);
    } else if (to != null) {
      view = map.headMap(to, true);
    }
    Iterator<Map.Entry<Bytes, byte[]>> it =
        (reverse ? view.descendingMap() : view).entrySet().iterator();
    return new KeyValueIterator<>() {
      private Map.Entry<Bytes, byte[]> next = advance();

      private Map.Entry<Bytes, byte[]> advance() {
        return it.hasNext() ? it.next() : null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public KeyValue<Bytes, byte[]> next() {
        if (next == null) throw new NoSuchElementException();
        KeyValue<Bytes, byte[]> kv = KeyValue.pair(next.getKey(), next.getValue());
        next = advance();
        return kv;
      }

      @Override
      public Bytes peekNextKey() {
        if (next == null) throw new NoSuchElementException();
        return next.getKey();
      }

      @Override
      public void close() {}
    };
  }
}
