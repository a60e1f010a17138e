package io.statewarden.state;

import io.statewarden.engine.Session;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
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
 * The session list index's store ({@link SessionIndex}): in memory, sorted, one {@link Members} per
 * {@code (protocol, version, state)} group, each ordered by the time the session entered the state,
 * then its id: a small skip list of chunks of up to 64 members in sorted arrays. The processor
 * moves a session's entry with {@link #move}, which compares times and ids in arrays instead of
 * long keys with a common prefix at every node of one big skip list, and builds no key (issue 16:
 * the single map of byte keys this replaces cost 15-19% of the stream thread).
 *
 * <p>Read as any Kafka key-value store of {@link SessionIndex} keys ({@code
 * protocol/version/state/enteredAt/sessionId}, empty values) in Kafka's byte order: the groups are
 * prefix-free, so a group's keys sort together and in its members' order. Range scans walk the
 * chunks themselves: a page costs the keys it reads (Kafka Streams' own in-memory store copies a
 * whole range first). Interactive queries iterate on other threads while the stream thread writes;
 * iterators are weakly consistent: a member that does not move is returned once, a member that
 * moves during the scan may be returned at either place or neither. Backward scans, which
 * statewarden does not use, read the range forwards first.
 *
 * <p>Not persistent and not logged: it holds derived state that its processor rebuilds from a
 * changelogged store when the task starts (docs/decisions/0025-session-index-in-memory.md).
 */
public final class SkipListStore implements KeyValueStore<Bytes, byte[]> {
  private static final byte SEP = '/';
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** A listed session within its group, in the order of its key's bytes. */
  static final class Member implements Comparable<Member> {
    final long enteredAt;
    final byte[] id; // UTF-8, as the key holds it

    Member(long enteredAt, byte[] id) {
      this.enteredAt = enteredAt;
      this.id = id;
    }

    @Override
    public int compareTo(Member o) {
      int c = Long.compare(enteredAt, o.enteredAt); // the key's 16 hex digits sort as signed
      return c != 0 ? c : Arrays.compareUnsigned(id, o.id);
    }

    @Override
    public String toString() {
      return enteredAt + "/" + new String(id, StandardCharsets.UTF_8);
    }
  }

  /** One {@code (protocol, version, state)} group: its key prefix and its members. */
  private static final class Group {
    final byte[] prefix;
    final Members members;

    Group(byte[] prefix, int chunk) {
      this.prefix = prefix;
      this.members = new Members(chunk);
    }
  }

  /** A chunk's members, sorted; never changed once published (a write publishes a new one). */
  private record Leaf(long[] times, byte[][] ids) {
    static final Leaf EMPTY = new Leaf(new long[0], new byte[0][]);

    int size() {
      return times.length;
    }

    Member get(int i) {
      return new Member(times[i], ids[i]);
    }

    /** The index of (t, id), or {@code -(insertion point) - 1}, as Arrays.binarySearch. */
    int find(long t, byte[] id) {
      int lo = 0;
      int hi = times.length - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        int c = Long.compare(times[mid], t);
        if (c == 0) c = Arrays.compareUnsigned(ids[mid], id);
        if (c < 0) {
          lo = mid + 1;
        } else if (c > 0) {
          hi = mid - 1;
        } else {
          return mid;
        }
      }
      return -(lo + 1);
    }

    /** The members from {@code from} to {@code to} (exclusive), with (t, id) at {@code at}. */
    Leaf with(int from, int to, int at, long t, byte[] id) {
      int n = to - from + (at >= 0 ? 1 : 0);
      long[] ts = new long[n];
      byte[][] is = new byte[n][];
      int j = 0;
      for (int i = from; i <= to; i++) {
        if (i == at) {
          ts[j] = t;
          is[j++] = id;
        }
        if (i < to) {
          ts[j] = times[i];
          is[j++] = ids[i];
        }
      }
      return new Leaf(ts, is);
    }

    Leaf without(int at) {
      long[] ts = new long[times.length - 1];
      byte[][] is = new byte[times.length - 1][];
      System.arraycopy(times, 0, ts, 0, at);
      System.arraycopy(times, at + 1, ts, at, ts.length - at);
      System.arraycopy(ids, 0, is, 0, at);
      System.arraycopy(ids, at + 1, is, at, is.length - at);
      return new Leaf(ts, is);
    }
  }

  /** A run of a group's members: every member at or after its key and before the next chunk's. */
  private static final class Chunk {
    volatile Leaf leaf;

    Chunk(Leaf leaf) {
      this.leaf = leaf;
    }
  }

  /**
   * One group's members in order: a small skip list of chunks, each a sorted array of up to {@code
   * max} members copied on write. A move searches the chunks (few, so their nodes stay in the
   * cache) and then one array, where a skip list of members would follow a pointer to another part
   * of the heap at every step (issue 16).
   *
   * <p>One writer (the task's stream thread), readers on other threads. A reader takes each chunk's
   * leaf once and finds the next chunk by key. A split publishes the new right chunk before it
   * shrinks the old one, so a reader either read the old leaf whole (and skips the right chunk's
   * members, which are not after the last it returned) or reads the shrunk one and then finds the
   * right chunk: a member that does not move is returned once.
   */
  static final class Members {
    private static final Member LOWEST = new Member(Long.MIN_VALUE, EMPTY);

    private final int max;
    private final ConcurrentSkipListMap<Member, Chunk> chunks = new ConcurrentSkipListMap<>();

    Members(int max) {
      this.max = max;
      chunks.put(LOWEST, new Chunk(Leaf.EMPTY));
    }

    void add(long t, byte[] id) {
      Map.Entry<Member, Chunk> e = chunks.floorEntry(new Member(t, id));
      Chunk c = e.getValue();
      Leaf l = c.leaf;
      int at = l.find(t, id);
      if (at >= 0) return;
      at = -at - 1;
      int n = l.size();
      if (n < max) {
        c.leaf = l.with(0, n, at, t, id);
      } else if (at == n) {
        // appended after the chunk's last member (a session that entered its state now): a new
        // chunk, so that chunks filled in time order stay full
        chunks.put(new Member(t, id), new Chunk(Leaf.EMPTY.with(0, 0, 0, t, id)));
      } else {
        int half = n / 2;
        Leaf left = at < half ? l.with(0, half, at, t, id) : l.with(0, half, -1, 0, null);
        Leaf right = at < half ? l.with(half, n, -1, 0, null) : l.with(half, n, at, t, id);
        chunks.put(right.get(0), new Chunk(right)); // first, for readers (above)
        c.leaf = left;
      }
    }

    boolean remove(long t, byte[] id) {
      Map.Entry<Member, Chunk> e = chunks.floorEntry(new Member(t, id));
      Chunk c = e.getValue();
      Leaf l = c.leaf;
      int at = l.find(t, id);
      if (at < 0) return false;
      Leaf rest = l.without(at);
      c.leaf = rest;
      if (rest.size() == 0 && e.getKey() != LOWEST) chunks.remove(e.getKey(), c);
      return true;
    }

    boolean contains(long t, byte[] id) {
      return chunks.floorEntry(new Member(t, id)).getValue().leaf.find(t, id) >= 0;
    }

    long size() {
      long n = 0;
      for (Chunk c : chunks.values()) n += c.leaf.size();
      return n;
    }

    void clear() {
      chunks.clear();
      chunks.put(LOWEST, new Chunk(Leaf.EMPTY));
    }

    /** The members at or after {@code lo} (null: all), in order. */
    Iterator<Member> from(Member lo) {
      return new Iterator<>() {
        private Map.Entry<Member, Chunk> chunk = chunks.floorEntry(lo == null ? LOWEST : lo);
        private Leaf leaf = chunk == null ? Leaf.EMPTY : chunk.getValue().leaf;
        private int i = 0; // members before lo are skipped below
        private Member last;
        private Member next = advance();

        private Member advance() {
          while (chunk != null) {
            while (i < leaf.size()) {
              Member m = leaf.get(i++);
              if ((last == null || m.compareTo(last) > 0) && (lo == null || m.compareTo(lo) >= 0)) {
                last = m;
                return m;
              }
            }
            chunk = chunks.higherEntry(chunk.getKey());
            leaf = chunk == null ? Leaf.EMPTY : chunk.getValue().leaf;
            i = 0;
          }
          return null;
        }

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public Member next() {
          if (next == null) throw new NoSuchElementException();
          Member m = next;
          next = advance();
          return m;
        }
      };
    }
  }

  private record GroupName(String protocol, int version, String state) {}

  /** The groups by key prefix (in Kafka's byte order, for reads) and by name (for moves). */
  private static final class Groups {
    final ConcurrentSkipListMap<Bytes, Group> byPrefix = new ConcurrentSkipListMap<>();
    final ConcurrentHashMap<GroupName, Group> byName = new ConcurrentHashMap<>();
    final int chunk;

    Groups(int chunk) {
      this.chunk = chunk;
    }

    Group of(byte[] prefix) {
      return byPrefix.computeIfAbsent(Bytes.wrap(prefix), p -> new Group(prefix, chunk));
    }

    Group of(Session s) {
      GroupName name = new GroupName(s.protocol(), s.version(), s.state());
      Group g = byName.get(name);
      if (g == null) {
        g = of(SessionIndex.group(s.protocol(), s.version(), s.state()).getBytes(UTF_8));
        byName.put(name, g);
      }
      return g;
    }
  }

  private static final java.nio.charset.Charset UTF_8 = StandardCharsets.UTF_8;

  /** Members per chunk: a move copies one chunk's arrays (about 1 KiB at 64). */
  static final int CHUNK = 64;

  private final String name;
  private final int chunk;

  /** Replaced, not cleared, on close: a reader still iterating the old one is told it closed. */
  private volatile Groups groups;

  private volatile boolean open;

  public SkipListStore(String name) {
    this(name, CHUNK);
  }

  SkipListStore(String name, int chunk) {
    this.name = name;
    this.chunk = chunk;
    this.groups = new Groups(chunk);
  }

  /** A supplier for {@code Stores.keyValueStoreBuilder}; build it with logging disabled. */
  public static KeyValueBytesStoreSupplier supplier(String name) {
    return supplier(name, CHUNK);
  }

  /** With {@code chunk} members per chunk (tests: small, so that few members split chunks). */
  static KeyValueBytesStoreSupplier supplier(String name, int chunk) {
    return new KeyValueBytesStoreSupplier() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public KeyValueStore<Bytes, byte[]> get() {
        return new SkipListStore(name, chunk);
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
    open = false;
    groups = new Groups(chunk);
  }

  /**
   * The store under Kafka Streams' wrappers (metering), or null when {@code store} is not one. The
   * processor writes the index through it directly: the wrappers would serialize a key per write
   * and, when the task starts or closes, time writes that have no record (at {@code
   * metrics.recording.level=TRACE} they would throw). The index is unlogged, so nothing is skipped
   * but metrics.
   */
  public static SkipListStore unwrap(StateStore store) {
    StateStore s = store;
    while (s instanceof org.apache.kafka.streams.state.internals.WrappedStateStore<?, ?, ?> w) {
      s = w.wrapped();
    }
    return s instanceof SkipListStore own ? own : null;
  }

  /** Drops every entry (the task's index, when the task starts again or is given up). */
  public void clear() {
    Groups g = groups;
    g.byPrefix.values().forEach(group -> group.members.clear());
  }

  /**
   * Moves a session's entry as the processor stores it: {@code before}'s key out, {@code after}'s
   * in (either null for none); {@link SessionIndex#key} of each, without building it.
   */
  public void move(Session before, Session after) {
    Groups g = groups;
    if (before != null
        && after != null
        && before.enteredAt() == after.enteredAt()
        && before.version() == after.version()
        && before.state().equals(after.state())
        && before.protocol().equals(after.protocol())
        && before.id().equals(after.id())) {
      return; // the same key
    }
    byte[] id = null;
    if (before != null) {
      id = before.id().getBytes(UTF_8);
      g.of(before).members.remove(before.enteredAt(), id);
    }
    if (after != null) {
      if (id == null || !after.id().equals(before.id())) id = after.id().getBytes(UTF_8);
      g.of(after).members.add(after.enteredAt(), id);
    }
  }

  private Groups openGroups() {
    if (!open) {
      throw new InvalidStateStoreException("Store " + name + " is closed (its task moved)");
    }
    return groups;
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

  /** A parsed key: its group's prefix and its member; null when it is not a session list key. */
  private record Parsed(byte[] prefix, Member member) {}

  private static Parsed parse(byte[] key) {
    int seps = 0;
    int i = 0;
    while (i < key.length && seps < 3) {
      if (key[i++] == SEP) seps++;
    }
    if (seps < 3 || key.length < i + 17 || key[i + 16] != SEP) return null;
    Long t = time(key, i);
    if (t == null) return null;
    return new Parsed(
        Arrays.copyOf(key, i), new Member(t, Arrays.copyOfRange(key, i + 17, key.length)));
  }

  /** The time in the 16 lower-case hex digits at {@code at} ({@link SessionIndex}'s), or null. */
  private static Long time(byte[] key, int at) {
    if (key.length < at + 16) return null;
    long v = 0;
    for (int j = at; j < at + 16; j++) {
      int d = Arrays.binarySearch(HEX, key[j]);
      if (d < 0) return null;
      v = (v << 4) | d;
    }
    return v ^ Long.MIN_VALUE;
  }

  private static Parsed parseOrThrow(Bytes key) {
    Parsed p = parse(key.get());
    if (p == null) {
      throw new IllegalArgumentException(
          "Expected a session list key protocol/version/state/time/id, but got "
              + new String(key.get(), UTF_8));
    }
    return p;
  }

  @Override
  public byte[] get(Bytes key) {
    Groups g = openGroups();
    Parsed p = parse(key.get());
    if (p == null) return null;
    Group group = g.byPrefix.get(Bytes.wrap(p.prefix()));
    Member m = p.member();
    return group != null && group.members.contains(m.enteredAt, m.id) ? EMPTY : null;
  }

  /** Writes a key of {@link SessionIndex}; the value must be empty (the index keeps none). */
  @Override
  public void put(Bytes key, byte[] value) {
    if (value == null) {
      delete(key);
      return;
    }
    if (value.length != 0) {
      throw new IllegalArgumentException("The session list index keeps no values");
    }
    Parsed p = parseOrThrow(key);
    groups.of(p.prefix()).members.add(p.member().enteredAt, p.member().id);
  }

  @Override
  public byte[] putIfAbsent(Bytes key, byte[] value) {
    byte[] was = get(key);
    if (was == null && value != null) put(key, value);
    return was;
  }

  @Override
  public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
    entries.forEach(kv -> put(kv.key, kv.value));
  }

  @Override
  public byte[] delete(Bytes key) {
    Parsed p = parse(key.get());
    if (p == null) return null;
    Group group = groups.byPrefix.get(Bytes.wrap(p.prefix()));
    return group != null && group.members.remove(p.member().enteredAt, p.member().id)
        ? EMPTY
        : null;
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
    return groups.byPrefix.values().stream().mapToLong(g -> g.members.size()).sum();
  }

  private KeyValueIterator<Bytes, byte[]> iterate(Bytes from, Bytes to, boolean reverse) {
    NavigableMap<Bytes, Group> gs = openGroups().byPrefix;
    if (from != null && to != null && from.compareTo(to) > 0) {
      gs = Collections.emptyNavigableMap(); // as Kafka Streams' stores: an empty range
    } else {
      if (from != null) {
        // the group whose keys `from` falls among sorts before `from` itself
        Bytes floor = gs.floorKey(from);
        gs = gs.tailMap(floor != null && startsWith(from, floor.get()) ? floor : from, true);
      }
      if (to != null) gs = gs.headMap(to, true);
    }
    Scan forward = new Scan(gs.values().iterator(), from, to);
    if (!reverse) return forward;
    // backwards: nothing in statewarden reads the index so; the range is read forwards first
    List<Bytes> keys = new ArrayList<>();
    while (forward.hasNext()) keys.add(forward.next().key);
    Collections.reverse(keys);
    return new Scan(keys.iterator());
  }

  private static boolean startsWith(Bytes b, byte[] prefix) {
    byte[] a = b.get();
    return a.length >= prefix.length
        && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * The members of {@code g} whose keys may lie at or after {@code from}: from the time in the
   * bound where it falls among the group's keys (the bound's exact key is checked per key).
   */
  private static Iterator<Member> after(Group g, Bytes from) {
    Long lo = from != null && startsWith(from, g.prefix) ? time(from.get(), g.prefix.length) : null;
    return g.members.from(lo == null ? null : new Member(lo, EMPTY));
  }

  private static byte[] key(byte[] prefix, Member m) {
    byte[] k = new byte[prefix.length + 17 + m.id.length];
    System.arraycopy(prefix, 0, k, 0, prefix.length);
    long v = m.enteredAt ^ Long.MIN_VALUE;
    for (int j = 15; j >= 0; j--) {
      k[prefix.length + j] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
    k[prefix.length + 16] = SEP;
    System.arraycopy(m.id, 0, k, prefix.length + 17, m.id.length);
    return k;
  }

  /** The keys in [from, to] (either null: unbounded), group after group. */
  private final class Scan implements KeyValueIterator<Bytes, byte[]> {
    private final Iterator<Group> groupsLeft;
    private final Bytes from;
    private final Bytes to;
    private final Iterator<Bytes> keys; // or these keys, already read
    private Group group;
    private Iterator<Member> members = Collections.emptyIterator();
    private Bytes next;

    Scan(Iterator<Group> groupsLeft, Bytes from, Bytes to) {
      this.groupsLeft = groupsLeft;
      this.from = from;
      this.to = to;
      this.keys = null;
      next = advance();
    }

    Scan(Iterator<Bytes> keys) {
      this.groupsLeft = Collections.emptyIterator();
      this.from = null;
      this.to = null;
      this.keys = keys;
      next = advance();
    }

    private Bytes advance() {
      if (keys != null) return keys.hasNext() ? keys.next() : null;
      while (true) {
        while (!members.hasNext()) {
          if (!groupsLeft.hasNext()) return null;
          group = groupsLeft.next();
          members = after(group, from);
        }
        Bytes k = Bytes.wrap(key(group.prefix, members.next()));
        if (to != null && k.compareTo(to) > 0) return null; // every later key is too
        if (from == null || k.compareTo(from) >= 0) return k;
      }
    }

    @Override
    public boolean hasNext() {
      // as a RocksDB iterator does: a page read across a close is refused, never cut short
      openGroups();
      return next != null;
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
      if (!hasNext()) throw new NoSuchElementException();
      KeyValue<Bytes, byte[]> kv = KeyValue.pair(next, EMPTY);
      next = advance();
      return kv;
    }

    @Override
    public Bytes peekNextKey() {
      if (!hasNext()) throw new NoSuchElementException();
      return next;
    }

    @Override
    public void close() {}
  }
}
