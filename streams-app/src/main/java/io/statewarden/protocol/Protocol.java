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
    String source) {

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

  /** {@code name@version}, as used in messages and the CLI. */
  public String id() {
    return name + "@" + version;
  }
}
