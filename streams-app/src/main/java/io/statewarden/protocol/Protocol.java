package io.statewarden.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A loaded and validated protocol definition. Immutable. */
public record Protocol(
    String name,
    int version,
    String description,
    String initial,
    Set<String> start,
    boolean forwardOnly,
    Timeout sessionTimeout,
    String onError,
    Map<String, StateDef> states,
    String source,
    int maxConcurrentSessions) {

  /** {@link #maxConcurrentSessions} when the definition sets none. */
  public static final int UNLIMITED = 0;

  public Protocol {
    start = Set.copyOf(start);
    states = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(states));
  }

  public StateDef state(String name) {
    StateDef s = states.get(name);
    if (s == null) {
      throw new IllegalStateException(
          "Expected state '" + name + "' in protocol " + this.name + " v" + version + ", but none");
    }
    return s;
  }

  /**
   * The live (not final) sessions of this protocol one partition may hold, from {@code
   * maxConcurrentSessions} split over {@code partitions} (rounded up), or {@link Integer#MAX_VALUE}
   * without a cap (docs/decisions/0017-concurrency-cap.md).
   */
  public int capPerPartition(int partitions) {
    if (maxConcurrentSessions == UNLIMITED) return Integer.MAX_VALUE;
    int n = Math.max(1, partitions);
    return (maxConcurrentSessions + n - 1) / n;
  }

  /** {@code name@version}, as used in messages and the CLI. */
  public String id() {
    return name + "@" + version;
  }
}
