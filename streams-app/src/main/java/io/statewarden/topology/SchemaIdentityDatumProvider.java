package io.statewarden.topology;

import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.ByteBufferOutputStream;

/**
 * Apicurio's default datum provider, with its writers and readers found by schema identity first.
 * The default one keys its caches by the schema's parsing fingerprint, which it computes from the
 * whole schema on every record: a third of the stream thread's time in the throughput benchmark
 * (docs/benchmarks.md). The serdes hand over the same resolved {@link Schema} object record after
 * record, so a reference comparison finds it; anything else falls through to the default. Its
 * readers refuse strings that are not UTF-8 ({@link Utf8CheckingReader}).
 */
public final class SchemaIdentityDatumProvider<T> extends DefaultAvroDatumProvider<T> {
  private static final int SLOTS = 16;

  private record Slot(Schema schema, boolean specific, Object datum) {}

  // copy-on-write, so the serializer shared by stream threads reads without locks
  private volatile Slot[] writers = new Slot[0];
  private volatile Slot[] readers = new Slot[0];

  @Override
  @SuppressWarnings("unchecked")
  public DatumWriter<T> createDatumWriter(T data, Schema schema) {
    boolean specific = data instanceof SpecificRecord;
    for (Slot s : writers) {
      if (s.schema() == schema && s.specific() == specific) return (DatumWriter<T>) s.datum();
    }
    DatumWriter<T> w = new Buffered<>(super.createDatumWriter(data, schema));
    writers = add(writers, new Slot(schema, specific, w));
    return w;
  }

  @Override
  @SuppressWarnings("unchecked")
  public DatumReader<T> createDatumReader(Schema schema) {
    for (Slot s : readers) {
      if (s.schema() == schema) return (DatumReader<T>) s.datum();
    }
    DatumReader<T> r = new Utf8CheckingReader<>(super.createDatumReader(schema));
    readers = add(readers, new Slot(schema, false, r));
    return r;
  }

  /** Encodes into a reusable buffer of the calling thread, then writes that to the real encoder. */
  static final class Buffered<T> implements DatumWriter<T> {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private final DatumWriter<T> inner;

    Buffered(DatumWriter<T> inner) {
      this.inner = inner;
    }

    @Override
    public void setSchema(Schema schema) {
      inner.setSchema(schema);
    }

    @Override
    public void write(T datum, Encoder out) throws IOException {
      if (!(out instanceof BinaryEncoder)) {
        inner.write(datum, out); // JSON encoding: as configured
        return;
      }
      Scratch s = SCRATCH.get();
      s.bytes.position(0);
      s.encoder = EncoderFactory.get().directBinaryEncoder(s.bytes, s.encoder);
      inner.write(datum, s.encoder);
      out.writeFixed(s.bytes.buffer().array(), 0, s.bytes.position());
    }
  }

  /** A thread's growable buffer (Kafka's, without locks) and the encoder on it. */
  private static final class Scratch {
    final ByteBufferOutputStream bytes = new ByteBufferOutputStream(512);
    BinaryEncoder encoder;
  }

  /** Adds a slot; when full, the oldest goes (a registry refresh may bring new schema objects). */
  private static Slot[] add(Slot[] slots, Slot s) {
    Slot[] next;
    if (slots.length < SLOTS) {
      next = java.util.Arrays.copyOf(slots, slots.length + 1);
    } else {
      next = new Slot[SLOTS];
      System.arraycopy(slots, 1, next, 0, SLOTS - 1);
    }
    next[next.length - 1] = s;
    return next;
  }
}
