package io.statewarden.topology;

import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.InputRef;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.util.Utf8;

/**
 * BENCHMARK BASELINE ONLY: decision 0022's writer, which wrote the contract's Avro records (built
 * by {@code AvroMapping.record} first), kept verbatim so that {@code AvroCodecBenchmark} measures
 * the path it replaced in the same run (decision 0026). Not used by statewarden.
 *
 * <p>The Avro binary encoding of the contract's records ({@code schemas/src/main/avro}), written
 * field by field in schema order: the bytes Avro's {@code SpecificDatumWriter} writes for them,
 * without its per-field schema walk, union resolution and logical-type conversions. Checked byte
 * for byte against Apicurio's serializer over random records ({@code ContractAvroProperties}). A
 * change to a schema needs the matching change here; the properties fail until it is made.
 *
 * <p>Encoding (Avro 1.12 specification, binary): int and long as zig-zag varints; a union as the
 * branch index, then the value; an enum as its symbol index; a string as its UTF-8 length, then the
 * bytes; a map or array as one block (item count, items) and a 0, or only the 0 when empty; a
 * double as the 8 little-endian bytes of its raw IEEE 754 bits.
 */
public final class ContractAvro0022 {
  private ContractAvro0022() {}

  private static final ThreadLocal<Out> SCRATCH = ThreadLocal.withInitial(() -> new Out(1024));

  /** As decision 0022's serializer wrote a record: the framing, then the body, copied out. */
  public static byte[] serialize(byte[] prefix, Object record) {
    Out out = SCRATCH.get();
    out.reset();
    out.bytes(prefix, 0, prefix.length);
    write(record, out);
    return Arrays.copyOf(out.buf, out.pos);
  }

  /** Whether {@link #write} encodes this value. */
  static boolean handles(Object value) {
    Class<?> c = value.getClass();
    return c == Transition.class
        || c == AuditRecord.class
        || c == Backout.class
        || c == ProtocolEvent.class;
  }

  /** Appends the Avro binary form of a value {@link #handles} accepts. */
  static void write(Object value, Out out) {
    if (value instanceof Transition t) {
      transition(t, out);
    } else if (value instanceof AuditRecord a) {
      audit(a, out);
    } else if (value instanceof Backout b) {
      backout(b, out);
    } else {
      event((ProtocolEvent) value, out);
    }
  }

  /** The Avro binary form alone, in a new array. */
  static byte[] bytes(Object value) {
    Out out = new Out(256);
    write(value, out);
    return Arrays.copyOf(out.buf, out.pos);
  }

  private static void transition(Transition t, Out out) {
    out.string(t.getSessionId());
    out.string(t.getProtocol());
    out.varint(t.getProtocolVersion());
    out.varint(t.getSeq());
    out.nullableString(t.getFrom());
    out.string(t.getTo());
    out.varint(t.getTrigger().ordinal());
    out.nullableString(t.getEventId());
    out.nullableString(t.getEventType());
    out.varint(t.getAt().toEpochMilli());
    out.bool(t.getFinal$());
    if (t.getOutcome() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(t.getOutcome().ordinal());
    }
    out.map(t.getData());
    out.string(t.getIncarnation());
  }

  private static void audit(AuditRecord a, Out out) {
    out.string(a.getSessionId());
    out.nullableString(a.getProtocol());
    out.nullableString(a.getEventId());
    out.nullableString(a.getEventType());
    out.varint(a.getDecision().ordinal());
    if (a.getReason() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(a.getReason().ordinal());
    }
    out.nullableString(a.getDetail());
    out.nullableString(a.getStateBefore());
    out.nullableString(a.getStateAfter());
    if (a.getSeq() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(a.getSeq());
    }
    out.varint(a.getAt().toEpochMilli());
    InputRef input = a.getInput();
    if (input == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.string(input.getTopic());
      out.varint(input.getPartition());
      out.varint(input.getOffset());
    }
    out.nullableMillis(a.getProcessedAt());
    out.nullableString(a.getInstance());
  }

  private static void backout(Backout b, Out out) {
    out.string(b.getSessionId());
    out.string(b.getProtocol());
    out.varint(b.getProtocolVersion());
    out.varint(b.getSeq());
    out.string(b.getStalledState());
    out.varint(b.getReason().ordinal());
    out.nullableMillis(b.getDeadline());
    out.varint(b.getAt().toEpochMilli());
    out.map(b.getData());
    List<String> history = b.getHistory();
    if (!history.isEmpty()) {
      out.varint(history.size());
      for (String s : history) {
        out.string(s);
      }
    }
    out.varint(0);
    out.string(b.getIncarnation());
  }

  private static void event(ProtocolEvent e, Out out) {
    out.string(e.getEventId());
    out.string(e.getSessionId());
    out.string(e.getProtocol());
    if (e.getProtocolVersion() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(e.getProtocolVersion());
    }
    out.string(e.getType());
    out.map(e.getPayload());
    out.nullableString(e.getExpectedState());
    out.nullableString(e.getSource());
    out.nullableMillis(e.getOccurredAt());
  }

  /** A growable byte buffer with Avro's primitive encodings. Not thread-safe. */
  static final class Out {
    byte[] buf;
    int pos;

    Out(int capacity) {
      buf = new byte[capacity];
    }

    void reset() {
      pos = 0;
    }

    private void room(int n) {
      if (buf.length - pos < n) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    void bytes(byte[] b, int off, int len) {
      room(len);
      System.arraycopy(b, off, buf, pos, len);
      pos += len;
    }

    /** An int or a long, zig-zag encoded (an int's encoding is that of the same long). */
    void varint(long n) {
      room(10);
      long z = (n << 1) ^ (n >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[pos++] = (byte) z;
    }

    void bool(boolean b) {
      room(1);
      buf[pos++] = (byte) (b ? 1 : 0);
    }

    void dbl(double d) {
      room(8);
      long bits = Double.doubleToRawLongBits(d);
      for (int i = 0; i < 8; i++) {
        buf[pos++] = (byte) (bits >>> (8 * i));
      }
    }

    /** A non-null string; null fails as Avro's writer fails, with a NullPointerException. */
    void string(CharSequence s) {
      if (s instanceof Utf8 u) {
        varint(u.getByteLength());
        bytes(u.getBytes(), 0, u.getByteLength());
        return;
      }
      byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
      varint(b.length);
      bytes(b, 0, b.length);
    }

    /** A {@code ["null", "string"]} union. */
    void nullableString(CharSequence s) {
      if (s == null) {
        varint(0);
      } else {
        varint(1);
        string(s);
      }
    }

    /** A {@code ["null", {"type": "long", "logicalType": "timestamp-millis"}]} union. */
    void nullableMillis(Instant t) {
      if (t == null) {
        varint(0);
      } else {
        varint(1);
        varint(t.toEpochMilli());
      }
    }

    /** A map of {@code ["null", "boolean", "long", "double", "string"]}, the contract's data. */
    void map(Map<String, Object> m) {
      if (!m.isEmpty()) {
        varint(m.size());
        for (Map.Entry<String, Object> e : m.entrySet()) {
          string(e.getKey());
          Object v = e.getValue();
          if (v == null) {
            varint(0);
          } else if (v instanceof Boolean b) {
            varint(1);
            bool(b);
          } else if (v instanceof Long l) {
            varint(2);
            varint(l);
          } else if (v instanceof Double d) {
            varint(3);
            dbl(d);
          } else if (v instanceof CharSequence s) {
            varint(4);
            string(s);
          } else {
            // as Avro's writer: an Integer or a nested map is not in the union
            throw new UnresolvedUnionException(MAP_VALUES, v);
          }
        }
      }
      varint(0);
    }

    private static final org.apache.avro.Schema MAP_VALUES =
        Transition.getClassSchema().getField("data").schema().getValueType();
  }
}
