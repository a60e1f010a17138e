package io.statewarden.topology;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A reader that refuses a string whose bytes are not UTF-8. Avro's own decoder turns malformed
 * bytes into replacement characters, so two distinct ids could arrive as one, and a payload value
 * would change on its way to a guard; refused, the record is dead-lettered with the reason. ASCII
 * strings cost one pass over their bytes; others are decoded strictly once more.
 */
final class Utf8CheckingReader<T> implements DatumReader<T> {
  private final DatumReader<T> inner;

  Utf8CheckingReader(DatumReader<T> inner) {
    this.inner = inner;
  }

  @Override
  public void setSchema(Schema schema) {
    inner.setSchema(schema);
  }

  @Override
  public T read(T reuse, Decoder in) throws IOException {
    return inner.read(reuse, new Checking(in));
  }

  /** Thrown for a string that is not UTF-8: bad input, dead-lettered, never retried. */
  static final class NotUtf8Exception extends AvroRuntimeException {
    NotUtf8Exception(String message) {
      super(message);
    }
  }

  static Utf8 check(Utf8 s) {
    check(s.getBytes(), 0, s.getByteLength());
    return s;
  }

  /**
   * Refuses the {@code n} bytes at {@code off} unless they are UTF-8 ({@link NotUtf8Exception}).
   */
  static void check(byte[] b, int off, int n) {
    for (int i = off; i < off + n; i++) {
      if (b[i] < 0) {
        ByteBuffer bytes = ByteBuffer.wrap(b, off, n);
        // n bytes of UTF-8 are at most n chars: the output never overflows
        CoderResult r =
            StandardCharsets.UTF_8.newDecoder().decode(bytes, CharBuffer.allocate(n), true);
        if (r.isError()) {
          throw new NotUtf8Exception(
              "a string is not UTF-8: malformed at byte "
                  + (bytes.position() - off)
                  + " of "
                  + n
                  + "; Avro strings are UTF-8 text");
        }
        return;
      }
    }
  }

  /** Passes everything through; checks strings. */
  private static final class Checking extends Decoder {
    private final Decoder in;
    private Utf8 scratch; // as BinaryDecoder.readString() reuses one

    Checking(Decoder in) {
      this.in = in;
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
      return check(in.readString(old));
    }

    @Override
    public String readString() throws IOException {
      scratch = check(in.readString(scratch));
      return scratch.toString();
    }

    @Override
    public void readNull() throws IOException {
      in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
      return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
      return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
      return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
      return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
      return in.readDouble();
    }

    @Override
    public void skipString() throws IOException {
      in.skipString();
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
      return in.readBytes(old);
    }

    @Override
    public void skipBytes() throws IOException {
      in.skipBytes();
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
      in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
      in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
      return in.readEnum();
    }

    @Override
    public long readArrayStart() throws IOException {
      return in.readArrayStart();
    }

    @Override
    public long arrayNext() throws IOException {
      return in.arrayNext();
    }

    @Override
    public long skipArray() throws IOException {
      return in.skipArray();
    }

    @Override
    public long readMapStart() throws IOException {
      return in.readMapStart();
    }

    @Override
    public long mapNext() throws IOException {
      return in.mapNext();
    }

    @Override
    public long skipMap() throws IOException {
      return in.skipMap();
    }

    @Override
    public int readIndex() throws IOException {
      return in.readIndex();
    }
  }
}
