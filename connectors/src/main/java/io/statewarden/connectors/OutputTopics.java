package io.statewarden.connectors;

/**
 * The statewarden topics the connectors read and write (statewarden's {@code statewarden.topic.*}
 * settings).
 *
 * @param eventsJson the JSON events topic the outbox source writes to
 * @param transitions the transitions topic
 * @param backouts the backouts topic
 * @param audit the audit topic
 */
public record OutputTopics(String eventsJson, String transitions, String backouts, String audit) {
  /** statewarden's default topic names. */
  public static final OutputTopics DEFAULTS =
      new OutputTopics(
          "statewarden.events.json",
          "statewarden.transitions",
          "statewarden.backouts",
          "statewarden.audit");
}
