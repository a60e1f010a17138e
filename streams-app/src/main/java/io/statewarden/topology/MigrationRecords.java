package io.statewarden.topology;

import io.statewarden.engine.InputRef;
import io.statewarden.engine.Migration;
import io.statewarden.schema.ProtocolEvent;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A migration (docs/decisions/0018), written to the events topic as a {@link ProtocolEvent} of the
 * reserved type {@value Migration#TYPE}, keyed {@code migration:<id>}, on an explicit partition,
 * signed like a timer. Its protocol and protocol version fields are the source; the payload holds
 * {@code migration} (the id), {@code operator}, {@code reason}, {@code to} (the target version),
 * {@code total}, {@code chunkSize}, {@code partition}, {@code chunk}, and one {@code map.<state>},
 * {@code state.<state>} or {@code id.<sessionId>} entry per map entry, selected state and selected
 * session. Only a signed record of this type is a migration; any other reaches the engine as an
 * event, which rejects it {@code RESERVED_TYPE}. No schema change: the payload map holds it.
 */
public final class MigrationRecords {
  static final String ID = "migration";
  static final String OPERATOR = "operator";
  static final String REASON = "reason";
  static final String TO = "to";
  static final String TOTAL = "total";
  static final String CHUNK_SIZE = "chunkSize";
  static final String PARTITION = "partition";
  static final String CHUNK = "chunk";
  static final String MAP = "map.";
  static final String STATE = "state.";
  static final String SESSION = "id.";

  private MigrationRecords() {}

  /** The record key of a migration's records. */
  public static String key(String migrationId) {
    return "migration:" + migrationId;
  }

  /** The record of {@code m} (its timestamp and input are the record's own when read back). */
  public static ProtocolEvent of(Migration m) {
    Map<String, Object> p = new HashMap<>();
    p.put(ID, m.id());
    p.put(OPERATOR, m.operator());
    p.put(REASON, m.reason());
    p.put(TO, (long) m.to());
    p.put(TOTAL, m.total());
    p.put(CHUNK_SIZE, (long) m.chunkSize());
    p.put(PARTITION, (long) m.partition());
    p.put(CHUNK, (long) m.chunk());
    m.map().forEach((k, v) -> p.put(MAP + k, v));
    m.states().forEach(s -> p.put(STATE + s, true));
    m.ids().forEach(s -> p.put(SESSION + s, true));
    return ProtocolEvent.newBuilder()
        .setEventId(m.chunk() == 0 ? m.id() : m.id() + ":" + m.chunk())
        .setSessionId(key(m.id()))
        .setProtocol(m.protocol())
        .setProtocolVersion(m.from())
        .setType(Migration.TYPE)
        .setPayload(p)
        .setSource(TimerRecords.SOURCE)
        .build();
  }

  static boolean isMigration(ProtocolEvent e) {
    return Migration.TYPE.equals(e.getType());
  }

  /**
   * The migration a signed record holds.
   *
   * @throws IllegalArgumentException when it does not hold one (then it is dead-lettered: only
   *     statewarden signs these, so this is a bug or a key leak, not a producer's mistake)
   */
  static Migration read(ProtocolEvent e, long timestamp, InputRef input) {
    Map<String, Object> p = e.getPayload();
    Map<String, String> map = new HashMap<>();
    Set<String> states = new HashSet<>();
    Set<String> ids = new HashSet<>();
    p.forEach(
        (k, v) -> {
          if (k.startsWith(MAP) && v != null) map.put(k.substring(MAP.length()), v.toString());
          if (k.startsWith(STATE)) states.add(k.substring(STATE.length()));
          if (k.startsWith(SESSION)) ids.add(k.substring(SESSION.length()));
        });
    if (p.get(ID) == null || e.getProtocolVersion() == null) {
      throw new IllegalArgumentException("migration record without an id or a source version");
    }
    return new Migration(
        p.get(ID).toString(),
        String.valueOf(p.get(OPERATOR)),
        String.valueOf(p.get(REASON)),
        e.getProtocol(),
        e.getProtocolVersion(),
        number(p, TO),
        map,
        states,
        ids,
        total(p),
        Math.max(1, number(p, CHUNK_SIZE)),
        number(p, PARTITION),
        number(p, CHUNK),
        timestamp,
        input);
  }

  private static long total(Map<String, Object> p) {
    if (!(p.get(TOTAL) instanceof Number n)) {
      throw new IllegalArgumentException("migration record without a number in " + TOTAL);
    }
    return n.longValue();
  }

  private static int number(Map<String, Object> p, String k) {
    Object v = p.get(k);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("migration record without a number in " + k);
    }
    return n.intValue();
  }
}
