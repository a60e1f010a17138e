package io.statewarden.engine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@link SessionCodec#encode} as it was before its writer reused a per-thread buffer (issue 16):
 * format 4's writer frozen, the reference that {@code SessionCodecProperties} holds the encoder's
 * bytes to and the "before" of {@code bench.HotPathBenchmark}. Not used by the application.
 */
public final class SessionCodecBaseline {
  private static final byte T_NULL = 0;
  private static final byte T_FALSE = 1;
  private static final byte T_TRUE = 2;
  private static final byte T_LONG = 3;
  private static final byte T_DOUBLE = 4;
  private static final byte T_STRING = 5;

  private SessionCodecBaseline() {}

  public static byte[] encode(Session s) {
    Writer w = new Writer(false);
    write(s, w);
    return w.bytes();
  }

  private static void write(Session s, Writer w) {
    w.b(SessionCodec.FORMAT);
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
    s.eventIds.forEach(w::str);
    w.varlong(s.history.size());
    s.history.forEach(step -> w.str(step.state()));
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
      w.b((byte) (SessionCodec.TRIGGERS.indexOf(step.trigger()) + 1));
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

  /** Writes the format, or with {@code counting} only counts its bytes. */
  private static final class Writer {
    private final boolean counting;
    private byte[] buf;
    private int pos;
    private long counted;

    Writer(boolean counting) {
      this.counting = counting;
      this.buf = counting ? null : new byte[128];
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
}
