package io.statewarden.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.statewarden.engine.Output;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Where the engine sends its audit records: keeps the last {@value #KEEP} rejections of each record
 * key (the session id) in the changelogged store {@link TopologyFactory#REJECTIONS_STORE}, in the
 * engine's own task, then passes every record on to the audit topic. The console's session page
 * reads them with the session, from the same partition (docs/decisions/0015). Keys with no
 * rejection for {@link #RETENTION} are dropped by an hourly wall-clock sweep.
 */
final class RecentRejections implements Processor<String, Object, String, Object> {
  static final int KEEP = 20;
  static final Duration RETENTION = Duration.ofDays(7);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, byte[]> store;

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyFactory.REJECTIONS_STORE);
    context.schedule(Duration.ofHours(1), PunctuationType.WALL_CLOCK_TIME, this::sweep);
  }

  @Override
  public void process(Record<String, Object> record) {
    if (record.key() != null
        && record.value() instanceof ContractOutput c
        && c.output() instanceof Output.Audit a
        && a.decision() == Output.Decision.REJECTED) {
      ArrayNode list = read(store.get(record.key()));
      ObjectNode r = list.addObject();
      r.put("at", a.at());
      r.put("seenAt", context.currentSystemTimeMs());
      r.put("eventId", a.eventId());
      r.put("eventType", a.eventType());
      r.put("reason", a.reason() == null ? null : a.reason().name());
      r.put("detail", a.detail());
      r.put("stateBefore", a.stateBefore());
      while (list.size() > KEEP) list.remove(0);
      store.put(record.key(), write(list));
    }
    context.forward(record, TopologyFactory.AUDIT_TOPIC_SINK);
  }

  /** The rejections kept for {@code key}, oldest first, as a JSON array. */
  static ArrayNode read(byte[] stored) {
    if (stored == null) return JSON.createArrayNode();
    try {
      return (ArrayNode) JSON.readTree(stored);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] write(ArrayNode list) {
    try {
      return JSON.writeValueAsBytes(list);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void sweep(long now) {
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        ArrayNode list = read(kv.value);
        long last = list.isEmpty() ? 0 : list.get(list.size() - 1).path("seenAt").asLong();
        if (now - last > RETENTION.toMillis()) old.add(kv.key);
      }
    }
    old.forEach(store::delete);
  }
}
