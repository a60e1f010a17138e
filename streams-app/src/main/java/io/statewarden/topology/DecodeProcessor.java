package io.statewarden.topology;

import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns raw input bytes into engine events, or sends them, unchanged, to the dead-letter topic with
 * the error in headers (rule 15). Nothing here can stop the stream thread.
 */
final class DecodeProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);
  static final String H_ERROR = "statewarden.error";
  static final String H_ERROR_CLASS = "statewarden.error.class";
  static final String H_TOPIC = "statewarden.error.topic";
  static final String H_PARTITION = "statewarden.error.partition";
  static final String H_OFFSET = "statewarden.error.offset";

  /** Decodes one record value; throws anything on bad input. */
  interface Decoder {
    Event decode(
        String topic, Headers headers, String key, byte[] value, long timestamp, InputRef input)
        throws Exception;
  }

  private final Decoder decoder;
  private final String engineNode;
  private final String dlqNode;
  private final int maxRecordBytes;
  private ProcessorContext<Object, Object> context;

  DecodeProcessor(Decoder decoder, String engineNode, String dlqNode, int maxRecordBytes) {
    this.decoder = decoder;
    this.engineNode = engineNode;
    this.dlqNode = dlqNode;
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    Optional<RecordMetadata> meta = context.recordMetadata();
    String topic = meta.map(RecordMetadata::topic).orElse("");
    InputRef input = meta.map(m -> new InputRef(m.topic(), m.partition(), m.offset())).orElse(null);
    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    Event event;
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
      event =
          decoder.decode(topic, record.headers(), key, record.value(), record.timestamp(), input);
    } catch (Exception | StackOverflowError e) {
      LOG.warn("Undecodable record {} to dead-letter topic: {}", input, e.toString());
      context.forward(deadLetter(record, e, input), dlqNode);
      return;
    }
    context.forward(record.withKey((Object) key).withValue(event), engineNode);
  }

  static Record<Object, Object> deadLetter(
      Record<byte[], byte[]> record, Throwable e, InputRef input) {
    Headers h = new RecordHeaders(record.headers().toArray());
    h.add(H_ERROR, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
    h.add(H_ERROR_CLASS, e.getClass().getName().getBytes(StandardCharsets.UTF_8));
    if (input != null) {
      h.add(H_TOPIC, input.topic().getBytes(StandardCharsets.UTF_8));
      h.add(H_PARTITION, String.valueOf(input.partition()).getBytes(StandardCharsets.UTF_8));
      h.add(H_OFFSET, String.valueOf(input.offset()).getBytes(StandardCharsets.UTF_8));
    }
    return new Record<>((Object) record.key(), (Object) record.value(), record.timestamp(), h);
  }
}
