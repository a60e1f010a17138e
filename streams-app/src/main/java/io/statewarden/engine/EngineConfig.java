package io.statewarden.engine;

import java.time.Duration;

/**
 * Engine limits and retention. Defaults suit the built-in protocols; all are configurable.
 *
 * @param historyLimit moves kept in a session's history, each state entered with its cause (oldest
 *     dropped first)
 * @param eventIdMemory accepted event ids a session remembers for idempotency
 * @param retention how long a final session is kept (late events get SESSION_CLOSED), then purged
 * @param maxIdLength longest eventId, sessionId, protocol, type, expectedState or payload key
 * @param maxPayloadEntries most entries in a payload
 * @param maxStringLength longest string value in a payload
 * @param maxSessionBytes largest encoded session ({@link SessionCodec}) a move that enlarges the
 *     session's data may leave; such a move beyond it does not happen (LIMIT_EXCEEDED). It keeps
 *     the session, its changelog record and the transitions that carry its data under the
 *     producer's {@code max.request.size}
 */
public record EngineConfig(
    int historyLimit,
    int eventIdMemory,
    Duration retention,
    int maxIdLength,
    int maxPayloadEntries,
    int maxStringLength,
    int maxSessionBytes) {

  /**
   * Half the producers' default {@code max.request.size} (1 MiB) for the session: the other half is
   * room for what a move adds besides its data (up to 256 event ids of 256 characters, the history)
   * and for the record's key and framing.
   */
  public static final int DEFAULT_MAX_SESSION_BYTES = 512 * 1024;

  public static final EngineConfig DEFAULTS =
      new EngineConfig(64, 256, Duration.ofDays(7), 256, 256, 65_536, DEFAULT_MAX_SESSION_BYTES);

  public EngineConfig {
    if (historyLimit < 1
        || eventIdMemory < 1
        || maxIdLength < 1
        || maxPayloadEntries < 0
        || maxSessionBytes < 1) {
      throw new IllegalArgumentException("engine limits must be positive");
    }
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative");
    }
  }

  public EngineConfig withRetention(Duration d) {
    return new EngineConfig(
        historyLimit,
        eventIdMemory,
        d,
        maxIdLength,
        maxPayloadEntries,
        maxStringLength,
        maxSessionBytes);
  }

  public EngineConfig withHistoryLimit(int n) {
    return new EngineConfig(
        n,
        eventIdMemory,
        retention,
        maxIdLength,
        maxPayloadEntries,
        maxStringLength,
        maxSessionBytes);
  }

  public EngineConfig withMaxSessionBytes(int n) {
    return new EngineConfig(
        historyLimit, eventIdMemory, retention, maxIdLength, maxPayloadEntries, maxStringLength, n);
  }
}
