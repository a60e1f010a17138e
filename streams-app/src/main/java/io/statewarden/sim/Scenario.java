package io.statewarden.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.engine.Output;
import io.statewarden.json.EventJson;
import io.statewarden.json.OutputJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * The scenario format of SPEC section 7: one JSON object per line, either an event (ProtocolEvent
 * fields plus {@code timestamp}) or {@code {"advanceTo": T}}. Output: one JSON object per line,
 * {@code {"kind": "transition" | "backout" | "audit", ...}}. Blank lines and lines starting with
 * {@code #} or {@code //} are skipped.
 */
public final class Scenario {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Scenario() {}

  /**
   * @throws ScenarioException naming the line when a line is not a valid scenario line
   */
  public static void run(Simulator sim, String name, BufferedReader in, PrintWriter out)
      throws ScenarioException {
    String line;
    int n = 0;
    try {
      while ((line = in.readLine()) != null) {
        n++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#") || t.startsWith("//")) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(t);
        } catch (JsonProcessingException e) {
          throw new ScenarioException(name + ":" + n + ": not JSON: " + e.getOriginalMessage());
        }
        try {
          Iterable<Output> outputs =
              node.has("advanceTo")
                  ? sim.advanceTo(EventJson.time(node.get("advanceTo"), "advanceTo"))
                  : sim.event(EventJson.read(node, null, null, null));
          for (Output o : outputs) {
            out.println(JSON.writeValueAsString(OutputJson.toMap(o)));
          }
        } catch (IllegalArgumentException e) {
          throw new ScenarioException(name + ":" + n + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.flush();
  }

  /** A scenario line that cannot be read; the message names file and line. */
  public static final class ScenarioException extends Exception {
    public ScenarioException(String message) {
      super(message);
    }
  }
}
