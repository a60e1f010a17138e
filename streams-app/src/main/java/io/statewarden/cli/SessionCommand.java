package io.statewarden.cli;

import io.statewarden.config.Environment;
import io.statewarden.protocol.TextFiles;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    URI base = base();
    String token =
        tokenFile != null ? token(tokenFile) : Environment.variable("STATEWARDEN_HTTP_TOKEN");
    URI uri =
        URI.create(
            base.toString().replaceAll("/+$", "")
                + "/sessions/"
                + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"));
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
    if (token != null && !token.isEmpty()) {
      req.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> res;
    try {
      res = HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new CommandFailure(
          3, "statewarden: " + base + " did not answer within " + TIMEOUT.toSeconds() + " s", e);
    } catch (ConnectException e) {
      throw new CommandFailure(
          3, "statewarden: cannot reach " + base + ": connection refused or unreachable", e);
    } catch (IOException e) {
      throw new CommandFailure(
          3,
          "statewarden: cannot reach "
              + base
              + ": "
              + (e.getMessage() == null ? "input/output error" : e.getMessage()),
          e);
    }
    (res.statusCode() == 200 ? spec.commandLine().getOut() : spec.commandLine().getErr())
        .println(res.body());
    return switch (res.statusCode()) {
      case 200 -> 0;
      case 404 -> 1;
      case 401 -> 2;
      default -> 3;
    };
  }

  private URI base() {
    try {
      URI u = new URI(url);
      if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
        return u;
      }
    } catch (URISyntaxException e) {
      // refused below
    }
    throw new ParameterException(
        spec.commandLine(),
        "Invalid value for option '--url': '" + url + "' is not an http:// or https:// URL");
  }

  static String token(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new CommandFailure(2, "--token-file " + file + ": " + TextFiles.describe(file, e), e);
    }
  }
}
