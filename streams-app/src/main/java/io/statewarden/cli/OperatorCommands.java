package io.statewarden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.Environment;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code session cancel|retry|move ID...}: an operator's command, sent to any instance's {@code
 * POST /sessions/{id}/<command>}, which logs it (docs/decisions/0016); to each session given
 * ({@code -}: ids from standard input), the exit code the worst. Exit 0 logged (the command id on
 * stdout; the audit record of that id tells how it was decided), 2 unauthorized, forbidden or bad
 * arguments, 3 not available (or no answer), as {@code session}.
 */
final class OperatorCommands {
  // longer than the server's wait for the log (~17 s), so its 503 with the command id arrives
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private OperatorCommands() {}

  /** What the three commands share: the session, the API, the token, who and why. */
  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        paramLabel = "ID",
        arity = "1..*",
        description = "Session id(s); - reads them from standard input, one a line.")
    List<String> ids;

    /** The session being sent to. */
    String id;

    @Option(
        names = "--url",
        defaultValue = "http://127.0.0.1:8070",
        description = "Any instance's HTTP API (default ${DEFAULT-VALUE}).")
    String url;

    @Option(
        names = "--token-file",
        paramLabel = "FILE",
        description =
            "File with the operator token (default: the STATEWARDEN_OPERATOR_TOKEN environment"
                + " variable, if set). A token is never taken on the command line.")
    Path tokenFile;

    @Option(
        names = "--operator",
        description =
            "Who acts, as audited with the shared operator token (a personal token names its own"
                + " person; default: the user name, ${sys:user.name}).")
    String operator = Environment.userName();

    @Option(
        names = "--expected-state",
        paramLabel = "STATE",
        description = "Refused STALE_STATE unless the session is still in STATE.")
    String expectedState;

    @Option(
        names = "--command-id",
        paramLabel = "ID",
        description =
            "The command's id (default: a random one, printed); the same id twice applies once."
                + " With several sessions (or -), each is sent ID-<session id>.")
    String commandId;

    abstract String verb();

    abstract String reason();

    /** The fields only this command has. */
    void fields(Map<String, Object> body) {}

    @Override
    public Integer call() throws InterruptedException, IOException {
      List<String> all = new ArrayList<>();
      for (String i : ids) {
        if (!i.equals("-")) {
          all.add(i);
          continue;
        }
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty())
            .forEach(all::add);
      }
      // from a list, each command id is the given one and the session's: one per session
      boolean several = all.size() > 1 || ids.contains("-");
      int worst = 0;
      for (String each : all) {
        id = each;
        worst =
            Math.max(
                worst, send(commandId == null || !several ? commandId : commandId + "-" + each));
      }
      return worst;
    }

    /** Sends the command to session {@link #id}; its exit code. */
    private int send(String given) throws InterruptedException {
      // chosen here, so a request without an answer can be retried with the same id
      String commandId = given != null ? given : UUID.randomUUID().toString();
      String retryWith =
          " (command id " + commandId + ": retry with --command-id " + commandId + ")";
      URI base = HttpCalls.base(spec, url);
      String token = HttpCalls.token(tokenFile, "STATEWARDEN_OPERATOR_TOKEN");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("reason", reason());
      body.put("operator", operator);
      if (expectedState != null) body.put("expectedState", expectedState);
      body.put("commandId", commandId);
      fields(body);
      HttpResponse<String> res;
      try {
        res =
            HttpCalls.send(
                base,
                HttpRequest.newBuilder(
                        HttpCalls.at(base, "/sessions/" + HttpCalls.encode(id) + "/" + verb()))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json(body))),
                token,
                TIMEOUT);
      } catch (CommandFailure f) {
        throw new CommandFailure(f.exitCode(), f.getMessage() + retryWith, f.getCause());
      }
      (res.statusCode() == 202 ? spec.commandLine().getOut() : spec.commandLine().getErr())
          .println(res.body());
      return switch (res.statusCode()) {
        case 202 -> 0;
        case 400, 401, 403 -> 2;
        default -> 3;
      };
    }

    static byte[] json(Object body) {
      try {
        return JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new IllegalStateException("Cannot write the request as JSON", e);
      }
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description =
          "Cancel a live session: it goes to a final BACKED_OUT state (trigger OPERATOR, a backout"
              + " with reason OPERATOR). Exit 0 logged, 2 unauthorized/forbidden/bad arguments,"
              + " 3 not available.")
  static final class Cancel extends Base {
    @Option(names = "--reason", required = true, description = "Why (audited).")
    String reason;

    @Override
    String verb() {
      return "cancel";
    }

    @Override
    String reason() {
      return reason;
    }
  }

  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description =
          "Re-apply the event a session's guard failed on, under the latest loaded version of its"
              + " protocol. Exit codes as cancel.")
  static final class Retry extends Base {
    @Option(
        names = "--reason",
        defaultValue = "retry after a fix",
        description = "Why (audited; default: ${DEFAULT-VALUE}).")
    String reason;

    @Override
    String verb() {
      return "retry";
    }

    @Override
    String reason() {
      return reason;
    }
  }

  @Command(
      name = "move",
      mixinStandardHelpOptions = true,
      description =
          "Put a session into a named state of its protocol, its data optionally patched with CEL"
              + " expressions, that state's deadlines re-armed. Exit codes as cancel.")
  static final class Move extends Base {
    @Option(names = "--to", required = true, paramLabel = "STATE", description = "Target state.")
    String to;

    @Option(
        names = "--set",
        paramLabel = "KEY=EXPR",
        description = "Set data KEY to the CEL expression EXPR over session (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--reopen", description = "May take a final session out of its final state.")
    boolean reopen;

    @Option(names = "--reason", required = true, description = "Why (audited).")
    String reason;

    @Override
    String verb() {
      return "move";
    }

    @Override
    String reason() {
      return reason;
    }

    @Override
    void fields(Map<String, Object> body) {
      body.put("to", to);
      if (!set.isEmpty()) body.put("set", set);
      if (reopen) body.put("reopen", true);
    }
  }
}
