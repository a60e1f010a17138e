package io.statewarden.cli;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code session ID}: a session as any instance's HTTP API answers it (forwarded to its owner). */
@Command(
    name = "session",
    mixinStandardHelpOptions = true,
    description =
        "Show a session (state, status, data, deadlines, history, version). Exit 0 found, 1 unknown, 2 unauthorized, 3 not available yet.")
final class SessionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Session id.")
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
  public Integer call() throws Exception {
    String token =
        tokenFile != null
            ? Files.readString(tokenFile, StandardCharsets.UTF_8).strip()
            : System.getenv("STATEWARDEN_HTTP_TOKEN");
    HttpRequest.Builder req =
        HttpRequest.newBuilder(
                URI.create(
                    url
                        + "/sessions/"
                        + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20")))
            .timeout(Duration.ofSeconds(10))
            .GET();
    if (token != null && !token.isEmpty()) {
      req.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> res =
        HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
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
