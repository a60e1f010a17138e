package io.statewarden.config;

import java.util.List;

/** The topics statewarden reads and writes. All keys are the session id. */
public record Topics(
    String events,
    String eventsJson,
    String transitions,
    String backouts,
    String audit,
    String dlq) {

  public static final Topics DEFAULTS =
      new Topics(
          "statewarden.events",
          "statewarden.events.json",
          "statewarden.transitions",
          "statewarden.backouts",
          "statewarden.audit",
          "statewarden.dlq");

  public List<String> all() {
    return List.of(events, eventsJson, transitions, backouts, audit, dlq);
  }

  /** Prefixed copies, as replays write them. */
  public Topics withOutputPrefix(String prefix) {
    return new Topics(
        events, eventsJson, prefix + transitions, prefix + backouts, prefix + audit, prefix + dlq);
  }
}
