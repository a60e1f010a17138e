package io.statewarden.topology;

import io.statewarden.engine.InputRef;
import io.statewarden.engine.Output;
import io.statewarden.protocol.Outcome;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.UnresolvedUnionException;
import org.apache.avro.util.Utf8;

/**
 * The Avro binary encoding of the contract's records ({@code schemas/src/main/avro}), written field
 * by field in schema order: the bytes Avro's {@code SpecificDatumWriter} writes for them, without
 * its per-field schema walk, union resolution and logical-type conversions. The outputs (a
 * transition, an audit record, a backout) are written straight from the engine's {@link Output},
 * without the Avro record {@link AvroMapping#record} would make of it (decision 0026); events from
 * the {@link ProtocolEvent}. Checked byte for byte against Apicurio's serializer of {@code
 * AvroMapping}'s records over random outputs and events ({@code ContractAvroProperties}). A change
 * to a schema needs the matching change here; the properties fail until it is made.
 *
 * <p>Encoding (Avro 1.12 specification, binary): int and long as zig-zag varints; a union as the
 * branch index, then the value; an enum as its symbol index; a string as its UTF-8 length, then the
 * bytes; a map or array as one block (item count, items) and a 0, or only the 0 when empty; a
 * double as the 8 little-endian bytes of its raw IEEE 754 bits.
 */
final class ContractAvro {
  private ContractAvro() {}

  /** Whether {@link #write} encodes this value: an engine output, or an event. */
  static boolean handles(Object value) {
    return value instanceof ContractOutput || value.getClass() == ProtocolEvent.class;
  }

  /** Appends the Avro binary form of a value {@link #handles} accepts. */
  static void write(Object value, Out out) {
    if (value instanceof ContractOutput c) {
      write(c.output(), c.processedAt(), c.instance(), out);
    } else {
      event((ProtocolEvent) value, out);
    }
  }

  /**
   * Appends the Avro binary form of the record {@link AvroMapping#record} makes of {@code o}: the
   * same bytes, without the record.
   */
  static void write(Output o, long processedAt, String instance, Out out) {
    if (o instanceof Output.Transition t) {
      transition(t, out);
    } else if (o instanceof Output.Audit a) {
      audit(a, processedAt, instance, out);
    } else {
      backout((Output.Backout) o, out);
    }
  }

  /** The Avro binary form alone, in a new array. */
  static byte[] bytes(Object value) {
    Out out = new Out(256);
    write(value, out);
    return Arrays.copyOf(out.buf, out.pos);
  }

  // the engine's enums to the contract's symbol indexes, by name (as AvroMapping maps them)
  private static final int[] TRIGGERS = indexes(Output.Trigger.values(), Trigger.class);
  private static final int[] OUTCOMES =
      indexes(Outcome.values(), io.statewarden.schema.Outcome.class);
  private static final int[] DECISIONS = indexes(Output.Decision.values(), Decision.class);
  private static final int[] REASONS = indexes(Output.Reason.values(), RejectReason.class);
  private static final int[] BACKOUT_REASONS =
      indexes(Output.BackoutReason.values(), BackoutReason.class);

  private static <A extends Enum<A>> int[] indexes(Enum<?>[] engine, Class<A> avro) {
    int[] index = new int[engine.length];
    for (int i = 0; i < engine.length; i++) {
      try {
        index[i] = Enum.valueOf(avro, engine[i].name()).ordinal();
      } catch (IllegalArgumentException e) {
        index[i] = -1; // fails at write, as AvroMapping's valueOf would
      }
    }
    return index;
  }

  private static void symbol(int[] indexes, Enum<?> value, Out out) {
    int i = indexes[value.ordinal()];
    if (i < 0) {
      throw new IllegalArgumentException(
          "No contract symbol for " + value.getDeclaringClass().getName() + "." + value.name());
    }
    out.varint(i);
  }

  private static void transition(Output.Transition t, Out out) {
    out.string(t.sessionId());
    out.string(t.protocol());
    out.varint(t.protocolVersion());
    out.varint(t.seq());
    out.nullableString(t.from());
    out.string(t.to());
    symbol(TRIGGERS, t.trigger(), out);
    out.nullableString(t.eventId());
    out.nullableString(t.eventType());
    out.varint(t.at());
    out.bool(t.isFinal());
    if (t.outcome() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      symbol(OUTCOMES, t.outcome(), out);
    }
    out.map(t.data());
    out.string(t.incarnation());
  }

  private static void audit(Output.Audit a, long processedAt, String instance, Out out) {
    out.string(a.sessionId());
    out.nullableString(a.protocol());
    out.nullableString(a.eventId());
    out.nullableString(a.eventType());
    symbol(DECISIONS, a.decision(), out);
    if (a.reason() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      symbol(REASONS, a.reason(), out);
    }
    out.nullableString(a.detail());
    out.nullableString(a.stateBefore());
    out.nullableString(a.stateAfter());
    if (a.seq() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(a.seq());
    }
    out.varint(a.at());
    InputRef input = a.input();
    if (input == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.string(input.topic());
      out.varint(input.partition());
      out.varint(input.offset());
    }
    out.varint(1); // processedAt, always set
    out.varint(processedAt);
    out.nullableString(instance);
  }

  private static void backout(Output.Backout b, Out out) {
    out.string(b.sessionId());
    out.string(b.protocol());
    out.varint(b.protocolVersion());
    out.varint(b.seq());
    out.string(b.stalledState());
    symbol(BACKOUT_REASONS, b.reason(), out);
    if (b.deadline() == null) {
      out.varint(0);
    } else {
      out.varint(1);
      out.varint(b.deadline());
    }
    out.varint(b.at());
    out.map(b.data());
    List<String> history = b.history();
    if (!history.isEmpty()) {
      out.varint(history.size());
      for (String s : history) {
        out.string(s);
      }
    }
    out.varint(0);
    out.string(b.incarnation());
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
