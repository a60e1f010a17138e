package io.statewarden.topology;

import io.statewarden.engine.InputRef;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns raw input bytes into a decoded value for the next node, or sends them, unchanged, to the
 * dead-letter topic with the error in headers (the rule "bad input is dead-lettered"), when the
 * bytes themselves are bad. A failure around the record (the registry unreachable, frozen or
 * answering 5xx: {@link InputFailures#isRetriable}) is not bad input: the decode is tried again
 * with backoff for a few seconds, then the exception propagates, the task's transaction aborts, the
 * stream thread is replaced, and the record is read again from the last commit. It is never
 * dead-lettered.
 *
 * <p>Where the record comes from decides what of it is believed (docs/decisions/0008). On the
 * events topic a record whose {@link RecordMac} signature verifies was written by statewarden: a
 * normalized JSON event (it carries {@code statewarden.source.*} headers, which then name its
 * input) or a timer (it carries none). Any other record is a producer's: its {@code statewarden.*}
 * headers are ignored, and its input is where it was read. No record leaves this node with the
 * {@code statewarden.*} headers it came with, whether forwarded or dead-lettered.
 */
final class DecodeProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);
  static final String H_ERROR = "statewarden.error";
  static final String H_ERROR_CLASS = "statewarden.error.class";
  static final String H_TOPIC = "statewarden.error.topic";
  static final String H_PARTITION = "statewarden.error.partition";
  static final String H_OFFSET = "statewarden.error.offset";

  /** Where a normalized JSON event was first read; its audit record names that place. */
  static final String H_SOURCE_TOPIC = "statewarden.source.topic";

  static final String H_SOURCE_PARTITION = "statewarden.source.partition";
  static final String H_SOURCE_OFFSET = "statewarden.source.offset";

  /** Who wrote a record, as far as its signature tells. */
  enum Origin {
    /** No valid signature: a producer's record, whatever it claims. */
    PRODUCER,
    /** Signed, with source headers: an event statewarden normalized from the JSON topic. */
    NORMALIZED,
    /**
     * Signed, without source headers: a timer record statewarden wrote, or an operator's command
     * record its API wrote.
     */
    TIMER
  }

  /** A decoded value with its own event time, which replaces the record's timestamp. */
  record Stamped(Object value, long timestamp) {}

  /** Decodes one record value; throws anything on bad input. */
  interface Decoder {
    Object decode(
        String topic,
        Headers headers,
        String key,
        byte[] value,
        long timestamp,
        InputRef input,
        Origin origin)
        throws Exception;
  }

  /** How long one record's decode is retried in place before the failure propagates. */
  static final long RETRY_BUDGET_MS = 5_000;

  private final Decoder decoder;
  private final String next;
  private final int maxRecordBytes;
  private final RecordMac mac;
  private final boolean stampSource;
  private ProcessorContext<Object, Object> context;

  /**
   * @param mac verifies signed records; null where nothing read is statewarden's (the JSON topic)
   * @param stampSource add the input coordinates as headers (for events re-written to the log)
   */
  DecodeProcessor(
      Decoder decoder, String next, int maxRecordBytes, RecordMac mac, boolean stampSource) {
    this.decoder = decoder;
    this.next = next;
    this.maxRecordBytes = maxRecordBytes;
    this.mac = mac;
    this.stampSource = stampSource;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Optional<RecordMetadata> meta = context.recordMetadata();
    InputRef read = meta.map(m -> new InputRef(m.topic(), m.partition(), m.offset())).orElse(null);
    Origin origin = Origin.PRODUCER;
    InputRef input = read;
    if (mac != null && mac.verify(record.key(), record.value(), record.headers())) {
      Optional<InputRef> source = sourceOf(record.headers());
      origin = source.isPresent() ? Origin.NORMALIZED : Origin.TIMER;
      input = source.orElse(read);
    }
    String topic = meta.map(RecordMetadata::topic).orElse("");
    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    Object decoded;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("record has no value (a tombstone is not an event)");
      }
      if (record.value().length > maxRecordBytes) {
        throw new IllegalArgumentException(
            "record of "
                + record.value().length
                + " bytes exceeds statewarden.max.record.bytes="
                + maxRecordBytes);
      }
      decoded = decodeRetrying(topic, record, key, input, origin);
    } catch (RetriableDecodeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableDecodeException("Interrupted while decoding record " + input, e);
    } catch (Exception | StackOverflowError e) {
      LOG.warn("Undecodable record {} to dead-letter topic: {}", input, e.toString());
      context.forward(deadLetter(record, e, input), TopologyFactory.DLQ_SINK);
      return;
    }
    Headers headers = RecordMac.withoutOwn(record.headers());
    if (stampSource && input != null) {
      headers.add(H_SOURCE_TOPIC, utf8(input.topic()));
      headers.add(H_SOURCE_PARTITION, utf8(String.valueOf(input.partition())));
      headers.add(H_SOURCE_OFFSET, utf8(String.valueOf(input.offset())));
    }
    long timestamp = record.timestamp();
    if (decoded instanceof Stamped st) {
      decoded = st.value();
      timestamp = st.timestamp();
    }
    if (stampSource) {
      decoded = new RecordMac.ToSign(key, decoded); // the sink signs it with these headers
    }
    context.forward(new Record<Object, Object>(key, decoded, timestamp, headers), next);
  }

  /**
   * Decodes, trying again while the failure is retriable and the budget lasts (well inside the
   * producer's transaction timeout, 10 s under exactly-once, and {@code max.poll.interval.ms});
   * then rethrows a retriable failure as a {@link RetriableDecodeException}, which is not caught
   * here.
   */
  private Object decodeRetrying(
      String topic, Record<byte[], byte[]> record, String key, InputRef input, Origin origin)
      throws Exception {
    long start = System.nanoTime();
    long backoff = 100;
    while (true) {
      try {
        return decoder.decode(
            topic, record.headers(), key, record.value(), record.timestamp(), input, origin);
      } catch (Exception e) {
        if (!InputFailures.isRetriable(e)) {
          throw e;
        }
        long spent = (System.nanoTime() - start) / 1_000_000;
        if (spent + backoff > RETRY_BUDGET_MS) {
          throw new RetriableDecodeException(
              "Cannot decode record "
                  + input
                  + " now ("
                  + e
                  + "); not bad input: the transaction aborts and the record is read again",
              e);
        }
        LOG.warn("Decoding record {} failed ({}); trying again in {} ms", input, e, backoff);
        Thread.sleep(backoff);
        backoff = Math.min(backoff * 2, 1_000);
      }
    }
  }

  /** A decode that failed for a reason around the record; propagates out of the processor. */
  static final class RetriableDecodeException extends RuntimeException {
    RetriableDecodeException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static Optional<InputRef> sourceOf(Headers h) {
    Header t = h.lastHeader(H_SOURCE_TOPIC);
    Header p = h.lastHeader(H_SOURCE_PARTITION);
    Header o = h.lastHeader(H_SOURCE_OFFSET);
    if (t == null || p == null || o == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(new InputRef(str(t), Integer.parseInt(str(p)), Long.parseLong(str(o))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * The record as it came, with statewarden's error headers in place of any {@code statewarden.*}
   * headers it carried (a producer cannot pre-seed {@value #H_ERROR}).
   */
  static Record<Object, Object> deadLetter(
      Record<byte[], byte[]> record, Throwable e, InputRef input) {
    Headers h = RecordMac.withoutOwn(record.headers());
    h.add(H_ERROR, utf8(String.valueOf(e.getMessage())));
    h.add(H_ERROR_CLASS, utf8(e.getClass().getName()));
    if (input != null) {
      h.add(H_TOPIC, utf8(input.topic()));
      h.add(H_PARTITION, utf8(String.valueOf(input.partition())));
      h.add(H_OFFSET, utf8(String.valueOf(input.offset())));
    }
    return new Record<>((Object) record.key(), (Object) record.value(), record.timestamp(), h);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(Header h) {
    return new String(h.value(), StandardCharsets.UTF_8);
  }
}
