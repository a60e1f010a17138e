package io.statewarden.api;

import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.topology.TopologyFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Answers {@code GET /deadlines} for the console: the active sessions of this instance's
 * partitions, filtered by protocol, state and time in state, the longest in their state first, and
 * their pending deadlines by due window. A bounded scan: at most {@link #maxScan} stored sessions
 * are read per request ({@code truncated} says when there were more); other instances answer for
 * theirs.
 */
final class SessionScan {
  static final int MAX_LIST = 200;
  static final int MAX_SCAN = 10_000;

  private final KafkaStreams streams;
  private final int maxScan;

  SessionScan(KafkaStreams streams, int maxScan) {
    this.streams = streams;
    this.maxScan = maxScan;
  }

  /** One row of the list. */
  record Row(
      String sessionId,
      String protocol,
      int version,
      String state,
      long enteredAt,
      long createdAt,
      Long nextDeadline) {
    static Row of(Session s) {
      long d = s.nextProtocolDeadline();
      return new Row(
          s.id(),
          s.protocol(),
          s.version(),
          s.state(),
          s.enteredAt(),
          s.createdAt(),
          d == Session.NONE ? null : d);
    }
  }

  Answer list(String protocol, String state, long minAgeMs, int limit, long now) {
    try {
      return scan(
          streams.store(
              StoreQueryParameters.fromNameAndType(
                  TopologyFactory.SESSIONS_STORE,
                  QueryableStoreTypes.<String, byte[]>keyValueStore())),
          protocol,
          state,
          minAgeMs,
          limit,
          now);
    } catch (InvalidStateStoreException e) {
      return new Answer(
          503,
          Map.of(
              "error",
              "state not available yet: the session store is migrating or restoring",
              "retry",
              true));
    }
  }

  /** The answer from {@code store}: package-private for tests. */
  Answer scan(
      ReadOnlyKeyValueStore<String, byte[]> store,
      String protocol,
      String state,
      long minAgeMs,
      int limit,
      long now) {
    int keep = Math.max(1, Math.min(limit, MAX_LIST));
    // the `keep` longest in their state, and the `keep` next due, each in a bounded heap
    PriorityQueue<Row> oldest =
        new PriorityQueue<>(Comparator.comparingLong(Row::enteredAt).reversed());
    PriorityQueue<Row> nextDue =
        new PriorityQueue<>(Comparator.comparingLong((Row r) -> r.nextDeadline()).reversed());
    Map<String, Long> due = new LinkedHashMap<>();
    for (String w : List.of("overdue", "minute", "hour", "day", "later")) due.put(w, 0L);
    int scanned = 0;
    int undecodable = 0;
    boolean truncated = false;
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        if (scanned == maxScan) {
          truncated = true;
          break;
        }
        KeyValue<String, byte[]> kv = it.next();
        scanned++;
        Session s;
        try {
          s = SessionCodec.decode(kv.value);
        } catch (RuntimeException e) {
          undecodable++; // quarantined by its task when it is next touched
          continue;
        }
        if (s.isFinal()) continue;
        Row row = Row.of(s);
        if (row.nextDeadline() != null) {
          long in = row.nextDeadline() - now;
          String w =
              in < 0
                  ? "overdue"
                  : in < 60_000
                      ? "minute"
                      : in < 3_600_000 ? "hour" : in < 86_400_000 ? "day" : "later";
          due.merge(w, 1L, Long::sum);
          bounded(nextDue, row, keep);
        }
        if ((protocol == null || protocol.equals(s.protocol()))
            && (state == null || state.equals(s.state()))
            && now - s.enteredAt() >= minAgeMs) {
          bounded(oldest, row, keep);
        }
      }
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("scanned", scanned);
    body.put("truncated", truncated);
    body.put("undecodable", undecodable);
    body.put("sessions", sorted(oldest, Comparator.comparingLong(Row::enteredAt)));
    body.put("due", due);
    body.put("nextDue", sorted(nextDue, Comparator.comparingLong(Row::nextDeadline)));
    return new Answer(200, body);
  }

  private static void bounded(PriorityQueue<Row> heap, Row row, int keep) {
    heap.add(row);
    if (heap.size() > keep) heap.poll();
  }

  private static List<Row> sorted(PriorityQueue<Row> heap, Comparator<Row> order) {
    List<Row> rows = new ArrayList<>(heap);
    rows.sort(order);
    return rows;
  }
}
