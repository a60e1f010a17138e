package io.statewarden.topology;

import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.schema.ProtocolEvent;
import java.io.EOFException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.InvalidNumberEncodingException;
import org.apache.avro.SystemLimitException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes an input record straight into the engine's {@link Event} (decision 0026) when it is
 * framed exactly as statewarden's own serializer frames a {@link ProtocolEvent} on that topic: the
 * magic byte, then the registry's id for the published contract version, written by the configured
 * id handler ({@link ContractSerializer#framing}, resolved once per topic through Apicurio's
 * resolver). The writer schema is then, by the registry's word, the one this reader was written
 * for. Any other record (another id: an older or newer writer schema, a producer's own
 * registration; ids in headers; no magic byte) gets {@code null}, and Apicurio's deserializer
 * decodes it as before, with schema resolution.
 *
 * <p>It reads as Avro's reader reads through Apicurio's ({@code SpecificDatumReader} behind {@link
 * Utf8CheckingReader}), and refuses what that refuses: a string that is not UTF-8 ({@link
 * Utf8CheckingReader.NotUtf8Exception}, the same message), bytes that end early ({@link
 * UncheckedIOException} of an {@link EOFException}, as Apicurio wraps it), a varint longer than its
 * type, a negative length, a length or item count over Avro's limits ({@link SystemLimitException},
 * the same checks), a union branch out of range. Trailing bytes are ignored, as Avro ignores them.
 * The payload map is built as Avro's reader builds it (a default {@link HashMap}), then copied in
 * its order as {@link AvroMapping#event} copies it, so the event is the same, order included.
 * Checked against the stock path over random and corrupted records ({@code
 * ContractEventsProperties}).
 *
 * <p>A registry failure at the one lookup propagates (retried by the decode node, never
 * dead-lettered); any other failure of the lookup turns this decoder off, with a warning, and
 * leaves every record to Apicurio's path.
 */
public final class ContractEvents {
  private static final Logger LOG = LoggerFactory.getLogger(ContractEvents.class);
  private static final ProtocolEvent SAMPLE = new ProtocolEvent();

  private final ContractSerializer framing;
  private volatile boolean off;

  public ContractEvents(ContractSerializer framing) {
    this.framing = framing;
  }

  /**
   * The event in {@code value}, or null when it is not framed with the contract's own id (then
   * Apicurio's deserializer decodes it).
   */
  public Event decode(String topic, byte[] value, String key, long timestamp, InputRef input) {
    if (off || value.length == 0 || value[0] != 0) return null;
    byte[] prefix = prefix(topic);
    if (prefix == null || !startsWith(value, prefix)) return null;
    return read(value, prefix.length, key, timestamp, input);
  }

  private byte[] prefix(String topic) {
    try {
      return framing.framing(topic, SAMPLE);
    } catch (RuntimeException e) {
      if (InputFailures.isRetriable(e)) throw e;
      LOG.warn(
          "Cannot resolve the contract's id for {}; events are decoded by Apicurio's path only: {}",
          topic,
          e.toString());
      off = true;
      return null;
    }
  }

  private static boolean startsWith(byte[] value, byte[] prefix) {
    if (value.length < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) {
      if (value[i] != prefix[i]) return false;
    }
    return true;
  }

  /** The event in the Avro body of {@code b} from {@code pos}. */
  static Event read(byte[] b, int pos, String key, long timestamp, InputRef input) {
    In in = new In(b, pos);
    String eventId = in.string();
    String sessionId = in.string();
    String protocol = in.string();
    Integer protocolVersion = in.index(2) == 0 ? null : in.readInt();
    String type = in.string();
    Map<String, Object> payload = in.payload();
    String expectedState = in.index(2) == 0 ? null : in.string();
    String source = in.index(2) == 0 ? null : in.string();
    if (in.index(2) == 1) in.readLong(); // occurredAt: informative, not in the event
    return new Event(
        key,
        eventId,
        sessionId,
        protocol,
        protocolVersion,
        type,
        new LinkedHashMap<>(payload),
        expectedState,
        source,
        timestamp,
        input);
  }

  /** Avro's binary primitives over a byte array, as {@code BinaryDecoder} reads them. */
  private static final class In {
    private final byte[] b;
    private int pos;

    In(byte[] b, int pos) {
      this.b = b;
      this.pos = pos;
    }

    private int next() {
      if (pos >= b.length) throw eof();
      return b[pos++] & 0xff;
    }

    int readInt() {
      int n = 0;
      for (int shift = 0; ; shift += 7) {
        int x = next();
        n |= (x & 0x7f) << shift;
        if (x <= 0x7f) break;
        if (shift == 28) throw invalid("Invalid int encoding");
      }
      return (n >>> 1) ^ -(n & 1);
    }

    long readLong() {
      long n = 0;
      for (int shift = 0; ; shift += 7) {
        int x = next();
        n |= (long) (x & 0x7f) << shift;
        if (x <= 0x7f) break;
        if (shift == 63) throw invalid("Invalid long encoding");
      }
      return (n >>> 1) ^ -(n & 1);
    }

    /** A union's branch index, below {@code branches}. */
    int index(int branches) {
      int i = readInt();
      if (i < 0 || i >= branches) {
        throw new AvroRuntimeException(
            "Malformed data: union branch " + i + " of a union of " + branches);
      }
      return i;
    }

    String string() {
      int n = readInt();
      if (n < 0) throw new AvroRuntimeException("Malformed data. Length is negative: " + n);
      SystemLimitException.checkMaxStringLength(n);
      if (n > b.length - pos) {
        pos = b.length;
        throw eof();
      }
      Utf8CheckingReader.check(b, pos, n);
      String s = new String(b, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    /** A map block's item count (a negative count is followed by the block's size in bytes). */
    private long count() {
      long n = readLong();
      if (n < 0) {
        readLong();
        n = -n;
      }
      return n;
    }

    Map<String, Object> payload() {
      long n = SystemLimitException.checkMaxCollectionLength(count());
      long total = n;
      Map<String, Object> m = new HashMap<>(); // as Avro's (fast) reader makes it
      while (n > 0) {
        for (long i = 0; i < n; i++) {
          String k = string();
          Object v;
          switch (index(5)) {
            case 0 -> v = null;
            case 1 -> v = next() == 1; // as Avro: any other byte is false
            case 2 -> v = readLong();
            case 3 -> v = readDouble();
            default -> v = string();
          }
          m.put(k, v);
        }
        n = count();
        total = SystemLimitException.checkMaxCollectionLength(total, n);
      }
      return m;
    }

    double readDouble() {
      if (b.length - pos < 8) {
        pos = b.length;
        throw eof();
      }
      long bits = 0;
      for (int i = 0; i < 8; i++) {
        bits |= (long) (b[pos + i] & 0xff) << (8 * i);
      }
      pos += 8;
      return Double.longBitsToDouble(bits);
    }

    private static UncheckedIOException eof() {
      return new UncheckedIOException(new EOFException());
    }

    private static UncheckedIOException invalid(String message) {
      return new UncheckedIOException(new InvalidNumberEncodingException(message));
    }
  }
}
