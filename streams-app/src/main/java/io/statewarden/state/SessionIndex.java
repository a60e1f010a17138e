package io.statewarden.state;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The session list index of one task: one key per stored session, {@code
 * protocol/version/state/enteredAt/sessionId} (enteredAt as 16 hex digits, so keys sort by time
 * within a state), an empty value. Kept by {@link StoreSessionState#put} in memory ({@link
 * SkipListStore}), rebuilt from the sessions whenever the task starts (decision 25).
 *
 * <p>A page for a filter costs one range scan per (protocol, version, state) group the filter
 * selects, each stopping after {@code limit} keys, plus one seek per group to find the groups: it
 * does not grow with the number of sessions (docs/benchmarks.md, "session list").
 */
public final class SessionIndex {
  private static final char SEP = '/';
  private static final char AFTER_SEP = SEP + 1;

  /**
   * Session ids in the order of their UTF-8 bytes, as the index's keys sort (code point order;
   * {@code String.compareTo}, UTF-16 order, puts U+E000..U+FFFF after the supplementary characters,
   * and a page's cursor would then skip some ids).
   */
  public static final Comparator<String> ID_ORDER = SessionIndex::compareCodePoints;

  /** A listed session, in list order: enteredAt, then session id. */
  public record Entry(String protocol, int version, String state, long enteredAt, String sessionId)
      implements Comparable<Entry> {
    public static final Comparator<Entry> ORDER =
        Comparator.comparingLong(Entry::enteredAt).thenComparing(Entry::sessionId, ID_ORDER);

    @Override
    public int compareTo(Entry o) {
      return ORDER.compare(this, o);
    }

    /** The opaque page cursor that continues after this entry. */
    public String cursor() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              (hex(enteredAt) + sessionId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** Where a page starts: strictly after this (enteredAt, sessionId). */
  public record Cursor(long enteredAt, String sessionId) {
    /**
     * @throws IllegalArgumentException when {@code text} is not a cursor this class wrote
     */
    public static Cursor parse(String text) {
      String s;
      try {
        s =
            new String(
                Base64.getUrlDecoder().decode(text), java.nio.charset.StandardCharsets.UTF_8);
        if (s.length() < 16) throw new IllegalArgumentException("too short");
        return new Cursor(
            Long.parseUnsignedLong(s.substring(0, 16), 16) ^ Long.MIN_VALUE, s.substring(16));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a cursor from a previous page: " + text, e);
      }
    }

    boolean before(Entry e) {
      return Entry.ORDER.compare(new Entry("", 0, "", enteredAt, sessionId), e) < 0;
    }
  }

  /**
   * What to list: each field null for any. {@code enteredBefore}: only sessions that entered their
   * state before this time (epoch millis), as {@code olderThan} asks.
   */
  /**
   * What a page selects: a protocol, a state, entered before a time (each null for any), and, when
   * {@code finals} is given, only the states it does not call final (the live sessions: a final
   * session's whole group is skipped, so this costs nothing).
   */
  public record Filter(String protocol, String state, Long enteredBefore, FinalStates finals) {
    public static final Filter ALL = new Filter(null, null, null);

    public Filter(String protocol, String state, Long enteredBefore) {
      this(protocol, state, enteredBefore, null);
    }
  }

  /** Which states of which protocol version are final (from the loaded definitions). */
  public interface FinalStates {
    boolean isFinal(String protocol, int version, String state);
  }

  private final ReadOnlyKeyValueStore<String, byte[]> store;

  public SessionIndex(ReadOnlyKeyValueStore<String, byte[]> store) {
    this.store = store;
  }

  /** The key of a stored session. */
  public static String key(Session s) {
    return group(s.protocol(), s.version(), s.state()) + hex(s.enteredAt()) + SEP + s.id();
  }

  static Entry entry(String key) {
    int a = key.indexOf(SEP);
    int b = key.indexOf(SEP, a + 1);
    int c = key.indexOf(SEP, b + 1);
    int d = c + 17;
    if (a < 0 || b < 0 || c < 0 || key.length() <= d || key.charAt(d) != SEP) {
      throw new IllegalStateException(
          "Expected an index key protocol/version/state/time/id, but got " + key);
    }
    return new Entry(
        key.substring(0, a),
        Integer.parseInt(key.substring(a + 1, b)),
        key.substring(b + 1, c),
        Long.parseUnsignedLong(key.substring(c + 1, d), 16) ^ Long.MIN_VALUE,
        key.substring(d + 1));
  }

  /**
   * The first {@code limit} entries the filter selects after {@code after} (null: from the start),
   * in list order.
   */
  public List<Entry> page(Filter f, Cursor after, int limit) {
    List<Entry> out = new ArrayList<>();
    if (limit <= 0) return out;
    String prefix = f.protocol() == null ? "" : f.protocol() + SEP;
    String from = prefix;
    while (true) {
      String group = firstGroup(from, prefix);
      if (group == null) break;
      if ((f.state() == null || group.endsWith(SEP + f.state() + SEP)) && kept(group, f)) {
        scan(group, f, after, limit, out);
      }
      from = group.substring(0, group.length() - 1) + AFTER_SEP;
    }
    out.sort(Entry.ORDER);
    return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
  }

  private static boolean kept(String group, Filter f) {
    if (f.finals() == null) return true;
    int a = group.indexOf(SEP);
    int b = group.indexOf(SEP, a + 1);
    return !f.finals()
        .isFinal(
            group.substring(0, a),
            Integer.parseInt(group.substring(a + 1, b)),
            group.substring(b + 1, group.length() - 1));
  }

  /**
   * Adds to {@code out} the ids of the sessions of one {@code (protocol, version, state)} group
   * that {@code take} accepts, oldest entry first, until {@code out} holds {@code limit}.
   */
  public void sessions(
      String protocol,
      int version,
      String state,
      Predicate<String> take,
      int limit,
      List<String> out) {
    String group = group(protocol, version, state);
    String hi = group.substring(0, group.length() - 1) + AFTER_SEP;
    try (KeyValueIterator<String, byte[]> it = store.range(group, hi)) {
      while (it.hasNext() && out.size() < limit) {
        String key = it.next().key;
        if (key.compareTo(hi) >= 0) break; // range's upper bound is inclusive
        String id = entry(key).sessionId();
        if (take.test(id)) out.add(id);
      }
    }
  }

  /** Every entry, in key order (for checks). */
  public List<Entry> all() {
    List<Entry> out = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      it.forEachRemaining(kv -> out.add(entry(kv.key)));
    }
    return out;
  }

  /** Up to {@code limit} entries of one group, after the cursor and before the time bound. */
  private void scan(String group, Filter f, Cursor after, int limit, List<Entry> out) {
    String lo = group + (after == null ? "" : hex(after.enteredAt()));
    String hi = group.substring(0, group.length() - 1) + AFTER_SEP;
    if (f.enteredBefore() != null) {
      hi = group + hex(f.enteredBefore());
    }
    if (lo.compareTo(hi) >= 0) return;
    Predicate<Entry> keep = after == null ? e -> true : after::before;
    int n = 0;
    try (KeyValueIterator<String, byte[]> it = store.range(lo, hi)) {
      while (it.hasNext() && n < limit) {
        KeyValue<String, byte[]> kv = it.next();
        if (kv.key.compareTo(hi) >= 0) break; // range's upper bound is inclusive
        Entry e = entry(kv.key);
        if (keep.test(e)) {
          out.add(e);
          n++;
        }
      }
    }
  }

  /** The {@code protocol/version/state/} prefix of the first key at or after {@code from}. */
  private String firstGroup(String from, String prefix) {
    try (KeyValueIterator<String, byte[]> it =
        store.range(
            from, prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1) + AFTER_SEP)) {
      if (!it.hasNext()) return null;
      String key = it.next().key;
      if (!key.startsWith(prefix)) return null;
      int a = key.indexOf(SEP);
      int b = key.indexOf(SEP, a + 1);
      int c = key.indexOf(SEP, b + 1);
      return key.substring(0, c + 1);
    }
  }

  static String group(String protocol, int version, String state) {
    return protocol + SEP + version + SEP + state + SEP;
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) return Integer.compare(x, y);
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /** 16 hex digits that sort as the signed value does. */
  static String hex(long t) {
    String h = Long.toHexString(t ^ Long.MIN_VALUE);
    return "0".repeat(16 - h.length()) + h;
  }
}
