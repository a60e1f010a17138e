package io.statewarden.engine;

import io.statewarden.engine.Output.Trigger;
import io.statewarden.protocol.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Compact binary form of a {@link Session} for the state store and its changelog. The first byte is
 * the format version; readers refuse versions they do not know, so a rollback never misreads.
 *
 * <p>Format 1: version byte, then id, protocol (strings: varint length + UTF-8), protocol version
 * (varint), state, seq (varlong), createdAt, enteredAt (zigzag varlongs), stateDeadline,
 * sessionDeadline, closedAt (zigzag varlong, {@code NONE} as 0 flag), outcome (byte, 0 = none, else
 * {@link Outcome#code()} + 1), data (count, then key + tagged value), event ids (count, strings),
 * history (count, strings).
 *
 * <p>Format 2 (written since decision 12): format 1 followed by the incarnation (string). Format 1
 * is still read, as a session of incarnation {@link Session#LEGACY_INCARNATION}.
 *
 * <p>Format 3 (written since decision 16): format 2 followed by the event kept for a retry ({@link
 * Session#failed()}): a byte 0 when none, else 1, then event id, type, state (strings), timestamp
 * (zigzag varlong) and payload (as data). Formats 1 and 2 are still read, with no kept event.
 *
 * <p>Format 4 (written since decision 20): format 3 followed by the cause of each history entry, in
 * the history's order: its trigger (byte: 0 for an entry kept before format 4, which has no cause,
 * else the code of {@link #TRIGGERS} + 1), and when it has one, the event id and event type (each a
 * byte 0 for none, else 1 and the string) and the time as zigzag varlong of {@code at - createdAt}.
 * Formats 1 to 3 are still read, their entries with no cause.
 */
public final class SessionCodec {
  public static final byte FORMAT = 4;

  /** The format before history causes; still read. */
  static final byte FORMAT_3 = 3;

  /** The format before kept events; still read. */
  static final byte FORMAT_2 = 2;

  /** The format before incarnations; still read. */
  static final byte FORMAT_1 = 1;

  private static final byte T_NULL = 0;
  private static final byte T_FALSE = 1;
  private static final byte T_TRUE = 2;
  private static final byte T_LONG = 3;
  private static final byte T_DOUBLE = 4;
  private static final byte T_STRING = 5;

  /**
   * Each trigger's stored code is its position here: fixed, whatever the order of the enum; a new
   * trigger is appended.
   */
  static final List<Trigger> TRIGGERS =
      List.of(
          Trigger.EVENT,
          Trigger.ALWAYS,
          Trigger.TIMEOUT,
          Trigger.SESSION_TIMEOUT,
          Trigger.ERROR,
          Trigger.OPERATOR);

  /** {@link #TRIGGERS}' stored codes by {@link Trigger#ordinal()}. */
  private static final byte[] TRIGGER_CODES = new byte[Trigger.values().length];

  static {
    for (int i = 0; i < TRIGGERS.size(); i++) {
      TRIGGER_CODES[TRIGGERS.get(i).ordinal()] = (byte) (i + 1);
    }
  }

  /**
   * Each thread's writing buffer, reused across sessions; the result is copied out at its exact
   * size. A buffer grown beyond {@link #KEPT_BUFFER_BYTES} by an unusually large session is not
   * kept.
   */
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[1024]);

  private static final int KEPT_BUFFER_BYTES = 64 * 1024;

  private SessionCodec() {}

  public static byte[] encode(Session s) {
    Writer w = new Writer(BUFFER.get());
    write(s, w);
    if (w.buf.length <= KEPT_BUFFER_BYTES) BUFFER.set(w.buf);
    return w.bytes();
  }

  /**
   * {@code encode(s).length}, without encoding: what the session would weigh in the store and its
   * changelog (the engine's limit on session size, {@link EngineConfig#maxSessionBytes}).
   */
  public static long size(Session s) {
    Writer w = new Writer(null);
    write(s, w);
    return w.counted;
  }

  /** The encoded size of session data alone (its count and entries). */
  static long dataSize(java.util.Map<String, Object> data) {
    Writer w = new Writer(null);
    data(data, w);
    return w.counted;
  }

  private static void write(Session s, Writer w) {
    w.b(FORMAT);
    w.str(s.id);
    w.str(s.protocol);
    w.varlong(s.version);
    w.str(s.state);
    w.varlong(s.seq);
    w.zigzag(s.createdAt);
    w.zigzag(s.enteredAt);
    w.optionalTime(s.stateDeadline);
    w.optionalTime(s.sessionDeadline);
    w.optionalTime(s.closedAt);
    w.b((byte) (s.outcome == null ? 0 : s.outcome.code() + 1));
    data(s.data, w);
    w.varlong(s.eventIds.size());
    for (String eventId : s.eventIds) w.str(eventId);
    w.varlong(s.history.size());
    for (Session.Step step : s.history) w.str(step.state());
    w.str(s.incarnation);
    if (s.failed == null) {
      w.b((byte) 0);
    } else {
      w.b((byte) 1);
      w.str(s.failed.eventId());
      w.str(s.failed.type());
      w.str(s.failed.state());
      w.zigzag(s.failed.timestamp());
      data(s.failed.payload(), w);
    }
    for (Session.Step step : s.history) {
      if (step.trigger() == null) {
        w.b((byte) 0);
        continue;
      }
      w.b(TRIGGER_CODES[step.trigger().ordinal()]);
      w.optionalStr(step.eventId());
      w.optionalStr(step.eventType());
      w.zigzag(step.at() - s.createdAt);
    }
  }

  private static void data(java.util.Map<String, Object> data, Writer w) {
    w.varlong(data.size());
    for (var e : data.entrySet()) {
      w.str(e.getKey());
      Object v = e.getValue();
      if (v == null) {
        w.b(T_NULL);
      } else if (v instanceof Boolean bool) {
        w.b(bool ? T_TRUE : T_FALSE);
      } else if (v instanceof Long l) {
        w.b(T_LONG);
        w.zigzag(l);
      } else if (v instanceof Double d) {
        w.b(T_DOUBLE);
        w.fixed64(Double.doubleToRawLongBits(d));
      } else if (v instanceof String str) {
        w.b(T_STRING);
        w.str(str);
      } else {
        throw new IllegalStateException(
            "Expected session data value of a scalar type, but got " + v.getClass().getName());
      }
    }
  }

  /**
   * @throws IllegalArgumentException when the bytes are not a session of a known format
   */
  public static Session decode(byte[] bytes) {
    try {
      Reader reader = new Reader(bytes);
      byte format = reader.b();
      if (format < FORMAT_1 || format > FORMAT) {
        throw new IllegalArgumentException(
            "Expected session format "
                + FORMAT_1
                + " to "
                + FORMAT
                + ", but got "
                + format
                + " (written by a newer version?)");
      }
      String id = reader.str();
      String protocol = reader.str();
      int version = (int) reader.varlong();
      String state = reader.str();
      long seq = reader.varlong();
      long createdAt = reader.zigzag();
      long enteredAt = reader.zigzag();
      long stateDeadline = reader.optionalTime();
      long sessionDeadline = reader.optionalTime();
      long closedAt = reader.optionalTime();
      int outcome = reader.b();
      java.util.Map<String, Object> data = readData(reader);
      ArrayDeque<String> ids = new ArrayDeque<>();
      for (long i = reader.varlong(); i > 0; i--) ids.add(reader.str());
      List<String> states = new ArrayList<>();
      for (long i = reader.varlong(); i > 0; i--) states.add(reader.str());
      String incarnation = format == FORMAT_1 ? Session.LEGACY_INCARNATION : reader.str();
      Session.Failed failed = null;
      if (format >= FORMAT_3 && reader.b() == 1) {
        String eventId = reader.str();
        String type = reader.str();
        String in = reader.str();
        long timestamp = reader.zigzag();
        failed = new Session.Failed(eventId, type, readData(reader), timestamp, in);
      }
      ArrayDeque<Session.Step> history = new ArrayDeque<>(states.size());
      for (String entered : states) {
        int trigger = format >= FORMAT ? reader.b() : 0;
        if (trigger == 0) {
          history.add(Session.Step.stateOnly(entered));
        } else if (trigger < 0 || trigger > TRIGGERS.size()) {
          throw new IllegalArgumentException(
              "Expected a trigger code of 1 to " + TRIGGERS.size() + ", but got " + trigger);
        } else {
          String eventId = reader.optionalStr();
          String eventType = reader.optionalStr();
          long at = createdAt + reader.zigzag();
          history.add(new Session.Step(entered, TRIGGERS.get(trigger - 1), eventId, eventType, at));
        }
      }
      if (reader.pos != bytes.length) {
        throw new IllegalArgumentException((bytes.length - reader.pos) + " trailing bytes");
      }
      Session session =
          new Session(id, incarnation, protocol, version, createdAt, data, ids, history);
      session.state = state;
      session.seq = seq;
      session.enteredAt = enteredAt;
      session.stateDeadline = stateDeadline;
      session.sessionDeadline = sessionDeadline;
      session.closedAt = closedAt;
      session.outcome = outcome == 0 ? null : Outcome.fromCode(outcome - 1);
      session.failed = failed;
      return session;
    } catch (ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("truncated or corrupt session bytes", e);
    }
  }

  /**
   * What the task's indexes read of a stored session, for rebuilding them when the task opens
   * (decision 29): id, incarnation, protocol, version, state, seq, the times, deadlines and
   * outcome, with empty data, event ids and history and no kept event. The rest of the value is
   * walked with the checks {@link #decode} makes, but not built. Null exactly when {@link #decode}
   * refuses the bytes (the caller decodes those in full, for its reason). The session returned is
   * for the indexes only: it is never stored, and never given to the engine.
   */
  public static Session decodeForIndex(byte[] bytes) {
    try {
      Reader reader = new Reader(bytes);
      byte format = reader.b();
      if (format < FORMAT_1 || format > FORMAT) return null;
      String id = reader.str();
      String protocol = reader.str();
      int version = (int) reader.varlong();
      String state = reader.str();
      long seq = reader.varlong();
      long createdAt = reader.zigzag();
      long enteredAt = reader.zigzag();
      long stateDeadline = reader.optionalTime();
      long sessionDeadline = reader.optionalTime();
      long closedAt = reader.optionalTime();
      int outcome = reader.b();
      skipData(reader);
      for (long i = reader.varlong(); i > 0; i--) reader.skipStr();
      long states = 0;
      for (long i = reader.varlong(); i > 0; i--, states++) reader.skipStr();
      String incarnation = format == FORMAT_1 ? Session.LEGACY_INCARNATION : reader.str();
      if (format >= FORMAT_3 && reader.b() == 1) {
        reader.skipStr();
        reader.skipStr();
        reader.skipStr();
        reader.zigzag();
        skipData(reader);
      }
      for (long i = 0; i < states && format >= FORMAT; i++) {
        int trigger = reader.b();
        if (trigger == 0) continue;
        if (trigger < 0 || trigger > TRIGGERS.size()) return null;
        if (reader.b() != 0) reader.skipStr();
        if (reader.b() != 0) reader.skipStr();
        reader.zigzag();
      }
      if (reader.pos != bytes.length) return null;
      Session session = new Session(id, incarnation, protocol, version, createdAt);
      session.state = state;
      session.seq = seq;
      session.enteredAt = enteredAt;
      session.stateDeadline = stateDeadline;
      session.sessionDeadline = sessionDeadline;
      session.closedAt = closedAt;
      session.outcome = outcome == 0 ? null : Outcome.fromCode(outcome - 1);
      return session;
    } catch (RuntimeException e) {
      return null; // past the end, a malformed varint or length, an unknown outcome code
    }
  }

  /** {@link #readData}'s walk, building nothing. */
  private static void skipData(Reader reader) {
    int entries = (int) reader.varlong();
    for (int i = 0; i < entries; i++) {
      reader.skipStr();
      byte tag = reader.b();
      switch (tag) {
        case T_NULL, T_FALSE, T_TRUE -> {}
        case T_LONG -> reader.varlong();
        case T_DOUBLE -> reader.fixed64();
        case T_STRING -> reader.skipStr();
        default -> throw new IllegalArgumentException("unknown value tag " + tag);
      }
    }
  }

  private static java.util.Map<String, Object> readData(Reader reader) {
    int entries = (int) reader.varlong();
    // sized by the count, but never beyond what the bytes left can hold (two bytes an entry at
    // least): a corrupt count is refused when its entries run out, not by a table of gigabytes
    int room = Math.min(entries, reader.remaining() / 2);
    LinkedHashMap<String, Object> data = new LinkedHashMap<>(Math.max(4, room * 2));
    for (int i = 0; i < entries; i++) {
      String key = reader.str();
      byte tag = reader.b();
      data.put(
          key,
          switch (tag) {
            case T_NULL -> null;
            case T_FALSE -> Boolean.FALSE;
            case T_TRUE -> Boolean.TRUE;
            case T_LONG -> reader.zigzag();
            case T_DOUBLE -> Double.longBitsToDouble(reader.fixed64());
            case T_STRING -> reader.str();
            default -> throw new IllegalArgumentException("unknown value tag " + tag);
          });
    }
    return Collections.unmodifiableMap(data);
  }

  /** Writes the format, or with {@code counting} only counts its bytes. */
  private static final class Writer {
    private final boolean counting;
    private byte[] buf;
    private int pos;
    private long counted;

    /** Writes into {@code buf} (grown as needed), or with null only counts. */
    Writer(byte[] buf) {
      this.counting = buf == null;
      this.buf = buf;
    }

    void b(byte v) {
      if (counting) {
        counted++;
        return;
      }
      ensure(1);
      buf[pos++] = v;
    }

    void varlong(long v) {
      if (counting) {
        counted += (64 - Long.numberOfLeadingZeros(v | 1) + 6) / 7;
        return;
      }
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void zigzag(long v) {
      varlong((v << 1) ^ (v >> 63));
    }

    void optionalTime(long t) {
      if (t == Session.NONE) {
        b((byte) 0);
      } else {
        b((byte) 1);
        zigzag(t);
      }
    }

    void optionalStr(String s) {
      if (s == null) {
        b((byte) 0);
      } else {
        b((byte) 1);
        str(s);
      }
    }

    void fixed64(long v) {
      if (counting) {
        counted += 8;
        return;
      }
      ensure(8);
      for (int i = 0; i < 8; i++) {
        buf[pos++] = (byte) (v >>> (8 * i));
      }
    }

    void str(String s) {
      if (counting) {
        long n = utf8Length(s);
        varlong(n);
        counted += n;
        return;
      }
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      varlong(u.length);
      ensure(u.length);
      System.arraycopy(u, 0, buf, pos, u.length);
      pos += u.length;
    }

    private void ensure(int n) {
      if (pos + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    byte[] bytes() {
      return Arrays.copyOf(buf, pos);
    }

    /** What {@code s.getBytes(UTF_8).length} is: an unpaired surrogate becomes one byte, '?'. */
    private static long utf8Length(String s) {
      long n = 0;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          n++;
        } else if (c < 0x800) {
          n += 2;
        } else if (Character.isHighSurrogate(c)
            && i + 1 < s.length()
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          n += 4;
          i++;
        } else {
          n += Character.isSurrogate(c) ? 1 : 3;
        }
      }
      return n;
    }
  }

  private static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    byte b() {
      return buf[pos++];
    }

    int remaining() {
      return buf.length - pos;
    }

    long varlong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte x = buf[pos++];
        v |= (long) (x & 0x7F) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("malformed varint");
    }

    long zigzag() {
      long v = varlong();
      return (v >>> 1) ^ -(v & 1);
    }

    long optionalTime() {
      return b() == 0 ? Session.NONE : zigzag();
    }

    String optionalStr() {
      return b() == 0 ? null : str();
    }

    long fixed64() {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v |= (buf[pos++] & 0xFFL) << (8 * i);
      }
      return v;
    }

    /** {@link #str}'s checks, without the string. */
    void skipStr() {
      int n = (int) varlong();
      if (n < 0 || n > buf.length - pos) {
        throw new IllegalArgumentException("string length " + n + " out of bounds");
      }
      pos += n;
    }

    String str() {
      int n = (int) varlong();
      if (n < 0 || pos + n > buf.length) {
        throw new IllegalArgumentException("string length " + n + " out of bounds");
      }
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }
  }
}
