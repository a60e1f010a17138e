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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * What the commands that call the HTTP API share: the {@code --url} check, the token (from {@code
 * --token-file} or an environment variable, never the command line), and one call whose failure to
 * get an answer is exit 3 with a one-line message ({@link CommandFailure}).
 */
final class HttpCalls {
  private HttpCalls() {}

  /** {@code url} as an http(s) URL, else a parameter error naming {@code --url}. */
  static URI base(CommandSpec spec, String url) {
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

  /** The token in {@code file}, else the environment variable {@code variable} (null if unset). */
  static String token(Path file, String variable) {
    if (file == null) return Environment.variable(variable);
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new CommandFailure(2, "--token-file " + file + ": " + TextFiles.describe(file, e), e);
    }
  }

  /** {@code base} with {@code path} (already encoded) appended. */
  static URI at(URI base, String path) {
    return URI.create(base.toString().replaceAll("/+$", "") + path);
  }

  /** One path segment or query value, encoded. */
  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * Sends {@code req} (with the token, when there is one) and returns the answer, whatever its
   * status.
   *
   * @throws CommandFailure exit 3 when {@code base} does not answer
   */
  static HttpResponse<String> send(
      URI base, HttpRequest.Builder req, String token, Duration timeout)
      throws InterruptedException {
    req.timeout(timeout);
    if (token != null && !token.isEmpty()) {
      req.header("Authorization", "Bearer " + token);
    }
    try {
      return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new CommandFailure(
          3, "statewarden: " + base + " did not answer within " + timeout.toSeconds() + " s", e);
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
  }
}
