package io.statewarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.engine.Command;
import io.statewarden.topology.CommandWriter;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@code POST /sessions/{id}/cancel|retry|move} (docs/decisions/0016): turns an operator's request
 * into a {@link Command} and hands it to the writer, which logs it as a signed command record; the
 * engine decides it when the record is read back, in log order. The answer is 202 with the command
 * id: accepted for the log, not yet applied (the audit record of the command id says how it went).
 * When the write fails or its outcome is unknown, the answer is 503 with the command id, which a
 * retry must send again: written or not, the same id applies once.
 *
 * <p>Body (JSON): {@code reason} (required), {@code operator} (who acts: with a personal token the
 * token's name, whatever the body says (docs/decisions/0019); with the shared operator token as
 * given, default {@code operator}), {@code expectedState}, {@code commandId} (to retry a request
 * safely; default a random UUID), and for {@code move}: {@code to} (required), {@code set} (data
 * key to CEL expression), {@code reopen}.
 */
final class CommandRoute {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_BODY = 64 * 1024;
  private static final int MAX_TEXT = 1024;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  private final Consumer<Command> writer;

  CommandRoute(Consumer<Command> writer) {
    this.writer = writer;
  }

  /** The command verb of a path {@code /sessions/{id}/{verb}}, or null when it is none. */
  static Command.Kind verb(String path) {
    int slash = path.lastIndexOf('/');
    if (slash <= "/sessions/".length() - 1) return null;
    String verb = path.substring(slash + 1);
    for (Command.Kind k : Command.Kind.values()) {
      if (k.label().equals(verb)) return k;
    }
    return null;
  }

  /**
   * Decodes, checks and writes the command; the answer for the client.
   *
   * @param authenticated the operator the token names, or null for the shared operator token
   */
  Answer handle(Command.Kind kind, String sessionId, byte[] body, String authenticated) {
    JsonNode json;
    try {
      json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      return bad("the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (json == null || !json.isObject()) {
      return bad("the body must be a JSON object");
    }
    String reason = text(json, "reason");
    String operator = text(json, "operator");
    String expected = text(json, "expectedState");
    String to = text(json, "to");
    String commandId = text(json, "commandId");
    if (reason == null || reason.isBlank()) {
      return bad("reason is required: say why (it is audited)");
    }
    for (String[] f :
        new String[][] {{"reason", reason}, {"operator", operator}, {"expectedState", expected}}) {
      if (f[1] != null && f[1].length() > MAX_TEXT) {
        return bad(f[0] + " is longer than " + MAX_TEXT + " characters");
      }
    }
    if (commandId != null && !ID.matcher(commandId).matches()) {
      return bad("commandId must match " + ID.pattern());
    }
    Map<String, String> set = new LinkedHashMap<>();
    if (json.has("set")) {
      if (kind != Command.Kind.MOVE || !json.get("set").isObject()) {
        return bad("set is an object of CEL expressions, and only for move");
      }
      for (Map.Entry<String, JsonNode> e : json.get("set").properties()) {
        if (!e.getValue().isTextual()) {
          return bad("set." + e.getKey() + " must be a CEL expression in a string");
        }
        set.put(e.getKey(), e.getValue().asText());
      }
    }
    if (kind == Command.Kind.MOVE && (to == null || to.isBlank())) {
      return bad("to is required for move: the state to move the session into");
    }
    if (kind != Command.Kind.MOVE && (to != null || json.has("reopen"))) {
      return bad("to and reopen are only for move");
    }
    Command command =
        new Command(
            kind,
            commandId == null ? UUID.randomUUID().toString() : commandId,
            sessionId,
            authenticated != null ? authenticated : operator == null ? "operator" : operator,
            reason,
            expected,
            to,
            set,
            json.path("reopen").asBoolean(false),
            0,
            null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("commandId", command.commandId());
    m.put("sessionId", sessionId);
    m.put("command", kind.label());
    m.put("operator", command.operator());
    try {
      writer.accept(command);
    } catch (CommandWriter.NotLogged e) {
      // logged with its cause by the writer; the id goes back so a retry cannot apply twice
      m.put("error", "not known to be logged: retry with the same commandId");
      m.put("retry", true);
      return new Answer(503, m);
    }
    m.put("status", "logged: the audit record of this commandId tells how it was decided");
    return new Answer(202, m);
  }

  private static String text(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static Answer bad(String message) {
    return new Answer(400, Map.of("error", message));
  }
}
