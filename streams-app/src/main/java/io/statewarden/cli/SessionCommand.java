package io.statewarden.cli;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code session ID}: a session as any instance's HTTP API answers it (forwarded to its owner). */
@Command(
    name = "session",
    mixinStandardHelpOptions = true,
    subcommands = {
      OperatorCommands.Cancel.class,
      OperatorCommands.Retry.class,
      OperatorCommands.Move.class
    },
    description =
        "Show a session (state, status, data, deadlines, history, version). Exit 0 found,"
            + " 1 unknown, 2 unauthorized (or bad arguments), 3 not available yet (or no answer).")
final class SessionCommand implements Callable<Integer> {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @Spec CommandSpec spec;

  // optional for picocli, so that `session cancel ID` reaches its subcommand; required below
  @Parameters(paramLabel = "ID", arity = "0..1", description = "Session id.")
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
          "File with the HTTP API bearer token (default: the STATEWARDEN_HTTP_TOKEN environment"
              + " variable, if set). A token is never taken on the command line.")
  Path tokenFile;

  @Override
  public Integer call() throws InterruptedException {
    if (id == null) {
      throw new ParameterException(spec.commandLine(), "Missing required parameter: 'ID'");
    }
    URI base = HttpCalls.base(spec, url);
    String token = HttpCalls.token(tokenFile, "STATEWARDEN_HTTP_TOKEN");
    HttpResponse<String> res =
        HttpCalls.send(
            base,
            HttpRequest.newBuilder(HttpCalls.at(base, "/sessions/" + HttpCalls.encode(id))).GET(),
            token,
            TIMEOUT);
    (res.statusCode() == 200 ? spec.commandLine().getOut() : spec.commandLine().getErr())
        .println(res.body());
    return switch (res.statusCode()) {
      case 200 -> 0;
      case 404 -> 1;
      case 401 -> 2;
      default -> 3;
    };
  }
}
