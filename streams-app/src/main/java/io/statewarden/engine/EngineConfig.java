package io.statewarden.engine;

import java.time.Duration;

/**
 * Engine limits and retention. Defaults suit the built-in protocols; all are configurable.
 *
 * @param historyLimit states kept in a session's history (oldest dropped first)
 * @param eventIdMemory accepted event ids a session remembers for idempotency
 * @param retention how long a final session is kept (late events get SESSION_CLOSED), then purged
 * @param maxIdLength longest eventId, sessionId, protocol, type, expectedState or payload key
 * @param maxPayloadEntries most entries in a payload
 * @param maxStringLength longest string value in a payload
 */
public record EngineConfig(
    int historyLimit,
    int eventIdMemory,
    Duration retention,
    int maxIdLength,
    int maxPayloadEntries,
    int maxStringLength) {

  public static final EngineConfig DEFAULTS =
      new EngineConfig(64, 256, Duration.ofDays(7), 256, 256, 65_536);

  public EngineConfig {
    if (historyLimit < 1 || eventIdMemory < 1 || maxIdLength < 1 || maxPayloadEntries < 0) {
      throw new IllegalArgumentException("engine limits must be positive");
    }
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative");
    }
  }

  public EngineConfig withRetention(Duration d) {
    return new EngineConfig(
        historyLimit, eventIdMemory, d, maxIdLength, maxPayloadEntries, maxStringLength);
  }

  public EngineConfig withHistoryLimit(int n) {
    return new EngineConfig(
        n, eventIdMemory, retention, maxIdLength, maxPayloadEntries, maxStringLength);
  }
}
