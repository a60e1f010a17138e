package io.statewarden.topology;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Session;
import io.statewarden.schema.ProtocolEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Deadlines that came due on the wall clock, written to the events topic as {@link ProtocolEvent}s
 * of a reserved type. They take effect when read back, so the log alone orders timeouts and events,
 * live and in a replay (Zeebe logs timer triggers the same way).
 *
 * <ul>
 *   <li>{@value #BATCH_TYPE} (written since decision 0023): the deadlines one task found due in one
 *       punctuation, in due order, written to the task's own partition, keyed {@code
 *       statewarden.timers/<partition>}, stamped with the last deadline. The payload holds {@code
 *       count} and, for each {@code i} from 0, {@code session.<i>}, {@code deadline.<i>} and {@code
 *       seq.<i>}; they fire in that order.
 *   <li>{@value #TYPE} (written before; still read, so older logs replay and fire): one deadline,
 *       keyed by its session, stamped with the deadline, payload {@code deadline} and {@code seq}.
 * </ul>
 */
public final class TimerRecords {
  public static final String TYPE = Engine.TIMER_TYPE;
  public static final String BATCH_TYPE = Engine.TIMERS_TYPE;
  public static final String SOURCE = "statewarden";
  static final String DEADLINE = "deadline";
  static final String SEQ = "seq";
  static final String COUNT = "count";
  static final String SESSION_AT = "session.";
  static final String DEADLINE_AT = "deadline.";
  static final String SEQ_AT = "seq.";

  /** The record key of a batch; the partition is chosen explicitly, not by this key. */
  static final String BATCH_KEY = "statewarden.timers/";

  /**
   * The most bytes a batch record may take: well inside the broker's and producer's 1 MiB defaults
   * ({@code max.message.bytes}, {@code max.request.size}); {@code statewarden.max.record.bytes}
   * lowers it, since a record over that is not read back.
   */
  static final int MAX_BATCH_BYTES = 512 * 1024;

  /** Bytes of a batch besides its entries (ids, type, protocol, framing), an upper bound. */
  static final int BATCH_OVERHEAD = 512;

  /** One due deadline of a session, as a batch carries it. */
  record Due(String sessionId, long deadline, long seq) {}

  private TimerRecords() {}

  /** The single-deadline record of earlier versions. */
  static ProtocolEvent of(Session s, long deadline) {
    Map<String, Object> payload = new HashMap<>();
    payload.put(DEADLINE, deadline);
    payload.put(SEQ, s.seq());
    return ProtocolEvent.newBuilder()
        .setEventId("deadline:" + deadline + ":" + s.seq())
        .setSessionId(s.id())
        .setProtocol(s.protocol())
        .setProtocolVersion(s.version())
        .setType(TYPE)
        .setPayload(payload)
        .setSource(SOURCE)
        .build();
  }

  static String batchKey(int partition) {
    return BATCH_KEY + partition;
  }

  /**
   * Splits {@code due} (in due order) into as few batches as fit {@code maxBytes} each (at least
   * one deadline per batch), keeping the order.
   */
  static List<List<Due>> split(List<Due> due, int maxBytes) {
    int budget = Math.min(maxBytes, MAX_BATCH_BYTES);
    List<List<Due>> out = new ArrayList<>();
    List<Due> current = new ArrayList<>();
    long bytes = BATCH_OVERHEAD;
    for (Due d : due) {
      long size = entryBytes(d);
      if (!current.isEmpty() && bytes + size > budget) {
        out.add(current);
        current = new ArrayList<>();
        bytes = BATCH_OVERHEAD;
      }
      current.add(d);
      bytes += size;
    }
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  /**
   * An upper bound of one entry's Avro bytes: three map keys of at most 16 characters with their
   * lengths, three union branches, two longs (10 bytes each at most), the id's length and bytes.
   */
  static long entryBytes(Due d) {
    return 3 * (2 + 16 + 1) + 2 * 10 + 5 + d.sessionId().getBytes(StandardCharsets.UTF_8).length;
  }

  /** The batch record of {@code due} (in due order) for {@code partition}. */
  static ProtocolEvent batch(int partition, List<Due> due) {
    Map<String, Object> payload = new HashMap<>(due.size() * 4 + 2);
    payload.put(COUNT, (long) due.size());
    for (int i = 0; i < due.size(); i++) {
      Due d = due.get(i);
      payload.put(SESSION_AT + i, d.sessionId());
      payload.put(DEADLINE_AT + i, d.deadline());
      payload.put(SEQ_AT + i, d.seq());
    }
    long last = due.get(due.size() - 1).deadline();
    return ProtocolEvent.newBuilder()
        .setEventId("deadlines:" + partition + ":" + last + ":" + due.size())
        .setSessionId(batchKey(partition))
        .setProtocol(SOURCE)
        .setType(BATCH_TYPE)
        .setPayload(payload)
        .setSource(SOURCE)
        .build();
  }

  static boolean isTimer(ProtocolEvent e) {
    return TYPE.equals(e.getType()) || BATCH_TYPE.equals(e.getType());
  }

  /**
   * What a signed timer record asks the engine task to fire: a {@link EngineProcessor.TimerDue} for
   * a single one, a {@link EngineProcessor.TimersDue} for a batch.
   *
   * @throws IllegalArgumentException when the payload is not what statewarden writes
   */
  static Object read(ProtocolEvent e) {
    Map<String, Object> p = e.getPayload();
    if (TYPE.equals(e.getType())) {
      return new EngineProcessor.TimerDue(number(p, DEADLINE), number(p, SEQ));
    }
    long count = number(p, COUNT);
    if (count < 1 || count > p.size()) {
      throw new IllegalArgumentException("timer batch count " + count + " out of range");
    }
    List<Due> due = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      Object id = p.get(SESSION_AT + i);
      if (!(id instanceof CharSequence)) {
        throw new IllegalArgumentException("timer batch lacks " + SESSION_AT + i);
      }
      due.add(new Due(id.toString(), number(p, DEADLINE_AT + i), number(p, SEQ_AT + i)));
    }
    return new EngineProcessor.TimersDue(due);
  }

  private static long number(Map<String, Object> p, String key) {
    if (!(p.get(key) instanceof Number n)) {
      throw new IllegalArgumentException("timer record lacks " + key);
    }
    return n.longValue();
  }
}
