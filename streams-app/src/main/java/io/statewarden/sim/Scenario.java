package io.statewarden.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.engine.Output;
import io.statewarden.json.EventJson;
import io.statewarden.json.OutputJson;
import io.statewarden.protocol.TextFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The scenario format of SPEC section 7: one JSON object per line, either an event (ProtocolEvent
 * fields plus {@code timestamp}, and {@code key} for a record key other than the session id) or
 * {@code {"advanceTo": T}}. Output: one JSON object per line, {@code {"kind": "transition" |
 * "backout" | "audit", ...}}. Blank lines and lines starting with {@code #} or {@code //} are
 * skipped.
 *
 * <p>A line is read strictly: an unknown field (a misspelt {@code expectedstate} would silently
 * drop the concurrency check), a missing required field, or a value of the wrong type or out of
 * range stops the run with {@code FILE:LINE: cause}.
 */
public final class Scenario {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fields of an event line: a ProtocolEvent's, the record timestamp and the record key. */
  static final Set<String> EVENT_FIELDS =
      Set.of(
          "eventId",
          "sessionId",
          "protocol",
          "protocolVersion",
          "type",
          "payload",
          "expectedState",
          "source",
          "occurredAt",
          "timestamp",
          "key");

  /** Without these a line is not an event the processor could have read. */
  static final List<String> REQUIRED = List.of("eventId", "sessionId", "protocol", "type");

  private Scenario() {}

  /**
   * @param name how messages name the input (the file as given on the command line)
   * @throws ScenarioException naming file and line when a line is not a valid scenario line
   * @throws IOException when the input cannot be read
   */
  public static void run(Simulator sim, String name, InputStream in, PrintWriter out)
      throws ScenarioException, IOException {
    BufferedInputStream bytes = new BufferedInputStream(in);
    int n = 0;
    byte[] raw;
    while ((raw = readLine(bytes)) != null) {
      n++;
      String line;
      try {
        line = TextFiles.utf8(raw);
      } catch (TextFiles.NotUtf8 e) {
        throw new ScenarioException(name + ":" + n + ": not UTF-8 text");
      }
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#") || t.startsWith("//")) {
        continue;
      }
      JsonNode node;
      try {
        node = EventJson.parse(t);
      } catch (JsonProcessingException e) {
        throw new ScenarioException(name + ":" + n + ": not JSON: " + e.getOriginalMessage());
      } catch (IllegalArgumentException e) {
        throw new ScenarioException(name + ":" + n + ": " + e.getMessage());
      }
      try {
        Iterable<Output> outputs = node.has("advanceTo") ? advance(sim, node) : event(sim, node);
        for (Output o : outputs) {
          out.println(JSON.writeValueAsString(OutputJson.toMap(o)));
        }
      } catch (IllegalArgumentException e) {
        throw new ScenarioException(name + ":" + n + ": " + e.getMessage());
      }
    }
    out.flush();
  }

  private static Iterable<Output> advance(Simulator sim, JsonNode node) {
    unknownFields(node, Set.of("advanceTo"), "an advanceTo line has only advanceTo");
    return sim.advanceTo(EventJson.time(node.get("advanceTo"), "advanceTo"));
  }

  private static Iterable<Output> event(Simulator sim, JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          "Expected a JSON object (an event or {\"advanceTo\": T}), but got " + node.getNodeType());
    }
    unknownFields(node, EVENT_FIELDS, "an event line has " + new TreeSet<>(EVENT_FIELDS));
    for (String f : REQUIRED) {
      if (absent(node, f)) {
        throw new IllegalArgumentException("missing field '" + f + "'");
      }
    }
    if (absent(node, "timestamp")) {
      throw new IllegalArgumentException(
          "missing field 'timestamp' (the record timestamp: epoch millis or ISO-8601)");
    }
    if (!absent(node, "occurredAt")) {
      EventJson.time(node.get("occurredAt"), "occurredAt"); // informative, but well-formed
    }
    String key = null;
    if (node.has("key")) {
      JsonNode k = node.get("key");
      if (!k.isNull() && !k.isTextual()) {
        throw new IllegalArgumentException(
            "Expected key to be a string (or null: a record without a key), but got "
                + k.getNodeType());
      }
      key = k.isNull() ? "" : k.textValue(); // the processor reads a missing key as ""
    }
    return sim.event(EventJson.read(node, key, null, null));
  }

  private static boolean absent(JsonNode node, String field) {
    return !node.has(field) || node.get(field).isNull();
  }

  private static void unknownFields(JsonNode node, Set<String> known, String expected) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        String hint =
            known.stream()
                .filter(k -> k.equalsIgnoreCase(f))
                .findFirst()
                .map(k -> "; did you mean '" + k + "'?")
                .orElse("");
        throw new IllegalArgumentException(
            "unknown field '" + f + "'" + hint + " (" + expected + ")");
      }
    }
  }

  /** The next line without its line end, or null at the end of the input. */
  private static byte[] readLine(BufferedInputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      line.write(b);
    }
    if (b == -1 && line.size() == 0) {
      return null;
    }
    return line.toByteArray();
  }

  /** A scenario line that cannot be read; the message names file and line. */
  public static final class ScenarioException extends Exception {
    public ScenarioException(String message) {
      super(message);
    }
  }
}
