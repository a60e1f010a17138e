package io.statewarden.sim;

import java.util.List;
import java.util.Map;

/**
 * Sessions of the built-in protocols that run to the end, with their payloads: the traffic of
 * {@code local --demo} (statewarden-local) and the event mix of the benchmarks, which cut some of
 * them short to see deadlines fire.
 */
public final class DemoSessions {
  private DemoSessions() {}

  /** A session script: protocol, start, then the events of a successful run, with payloads. */
  public record Script(String protocol, List<String> types, Map<String, Object> payload) {}

  /** The scripts, one per kind of session. */
  public static final List<Script> SCRIPTS =
      List.of(
          new Script(
              "taleus-listener",
              List.of("InboundContact", "HooksComplete", "ResponseSent", "DatabaseResult"),
              Map.of("role", "foil")),
          new Script(
              "taleus-listener",
              List.of("InboundContact", "HooksComplete", "ResponseSent"),
              Map.of("role", "stock")),
          new Script(
              "taleus-dialer",
              List.of(
                  "Connected",
                  "InboundContactSent",
                  "ResponseReceived",
                  "ResponseValid",
                  "DatabaseResultSent"),
              Map.of("role", "foil")),
          new Script(
              "coinswap-carol",
              List.of(
                  "SwapRequested",
                  "HandshakeComplete",
                  "NegotiationComplete",
                  "TX0idHxTX2sigReceived",
                  "TX1idTX2sigTX3sigSent",
                  "TX3SigReceivedTX0Confirmed",
                  "TX1BroadcastConfirmed",
                  "XReceived",
                  "TX4SigReceived",
                  "TX4Broadcast"),
              Map.of("amount", 150_000L, "valid", true)));
}
