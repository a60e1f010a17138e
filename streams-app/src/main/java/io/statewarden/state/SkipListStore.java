package io.statewarden.state;

import io.statewarden.engine.Session;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
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
 * The session list index's store ({@link SessionIndex}): in memory, sorted, one small sorted map
 * per {@code (protocol, version, state)} group, each ordered by the time the session entered the
 * state, then its id. The processor moves a session's entry with {@link #move}, which compares a
 * time and an id instead of long keys with a common prefix and builds no key (issue 16: the single
 * map of byte keys this replaces cost 15-17% of the stream thread).
 *
 * <p>Read as any Kafka key-value store of {@link SessionIndex} keys ({@code
 * protocol/version/state/enteredAt/sessionId}, empty values) in Kafka's byte order: the groups are
 * prefix-free, so a group's keys sort together and in its members' order. Range scans walk the maps
 * themselves: a page costs the keys it reads (Kafka Streams' own in-memory store copies a whole
 * range first). Interactive queries iterate on other threads while the stream thread writes;
 * iterators are weakly consistent.
 *
 * <p>Not persistent and not logged: it holds derived state that its processor rebuilds from a
 * changelogged store when the task starts (docs/decisions/0025-session-index-in-memory.md).
 */
public final class SkipListStore implements KeyValueStore<Bytes, byte[]> {
  private static final byte SEP = '/';
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** A listed session within its group, in the order of its key's bytes. */
  private static final class Member implements Comparable<Member> {
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
  }

  /** One {@code (protocol, version, state)} group: its key prefix and its members. */
  private static final class Group {
    final byte[] prefix;
    final ConcurrentSkipListMap<Member, Boolean> members = new ConcurrentSkipListMap<>();

    Group(byte[] prefix) {
      this.prefix = prefix;
    }
  }

  private record GroupName(String protocol, int version, String state) {}

  /** The groups by key prefix (in Kafka's byte order, for reads) and by name (for moves). */
  private static final class Groups {
    final ConcurrentSkipListMap<Bytes, Group> byPrefix = new ConcurrentSkipListMap<>();
    final ConcurrentHashMap<GroupName, Group> byName = new ConcurrentHashMap<>();

    Group of(byte[] prefix) {
      return byPrefix.computeIfAbsent(Bytes.wrap(prefix), p -> new Group(prefix));
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

  private final String name;

  /** Replaced, not cleared, on close: a reader still iterating the old one is told it closed. */
  private volatile Groups groups = new Groups();

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
    open = false;
    groups = new Groups();
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

  /**
   * Drops every entry (the task's index, when the task starts again or is given up). The groups are
   * replaced, not emptied: a page being read on another thread (the processor is closed before its
   * stores) finishes on what it had, rather than ending early and looking complete.
   */
  public void clear() {
    groups = new Groups();
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
      g.of(before).members.remove(new Member(before.enteredAt(), id));
    }
    if (after != null) {
      if (id == null || !after.id().equals(before.id())) id = after.id().getBytes(UTF_8);
      g.of(after).members.put(new Member(after.enteredAt(), id), Boolean.TRUE);
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
    return group != null && group.members.containsKey(p.member()) ? EMPTY : null;
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
    groups.of(p.prefix()).members.put(p.member(), Boolean.TRUE);
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
    return group != null && group.members.remove(p.member()) != null ? EMPTY : null;
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
    return new Scan((reverse ? gs.descendingMap() : gs).values().iterator(), from, to, reverse);
  }

  private static boolean startsWith(Bytes b, byte[] prefix) {
    byte[] a = b.get();
    return a.length >= prefix.length
        && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }

  /**
   * The members of {@code g} whose keys may lie within [from, to]: bounded by the times in the
   * bounds where a bound falls among the group's keys (a bound's exact key is checked per key).
   */
  private static NavigableSet<Member> within(Group g, Bytes from, Bytes to, boolean reverse) {
    NavigableMap<Member, Boolean> m = g.members;
    Long lo = from != null && startsWith(from, g.prefix) ? time(from.get(), g.prefix.length) : null;
    Long hi = to != null && startsWith(to, g.prefix) ? time(to.get(), g.prefix.length) : null;
    if (lo != null) m = m.tailMap(new Member(lo, EMPTY), true);
    if (hi != null && hi != Long.MAX_VALUE) m = m.headMap(new Member(hi + 1, EMPTY), false);
    return reverse ? m.descendingKeySet() : m.navigableKeySet();
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
    private final boolean reverse;
    private Group group;
    private Iterator<Member> members = Collections.emptyIterator();
    private Bytes next;

    Scan(Iterator<Group> groupsLeft, Bytes from, Bytes to, boolean reverse) {
      this.groupsLeft = groupsLeft;
      this.from = from;
      this.to = to;
      this.reverse = reverse;
      next = advance();
    }

    private Bytes advance() {
      while (true) {
        while (!members.hasNext()) {
          if (!groupsLeft.hasNext()) return null;
          group = groupsLeft.next();
          members = within(group, from, to, reverse).iterator();
        }
        Bytes k = Bytes.wrap(key(group.prefix, members.next()));
        Bytes first = reverse ? to : from; // keys before it (in scan order) are skipped
        Bytes last = reverse ? from : to; // the first key past it ends the scan
        if (last != null && (reverse ? k.compareTo(last) < 0 : k.compareTo(last) > 0)) return null;
        if (first == null || (reverse ? k.compareTo(first) <= 0 : k.compareTo(first) >= 0)) {
          return k;
        }
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
