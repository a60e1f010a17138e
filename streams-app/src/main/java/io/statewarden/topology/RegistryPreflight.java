package io.statewarden.topology;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Before Kafka Streams starts: one request to the schema registry ({@code GET <url>/system/info}),
 * so that a registry that is down, or a URL that is not the Apicurio Registry v3 API, stops the
 * start with one line rather than with the first event that needs a schema. Any answer other than a
 * 404 counts as an answer: whether this client may read and write is the serdes' business.
 */
final class RegistryPreflight {
  static final String URL = "apicurio.registry.url";

  private RegistryPreflight() {}

  /**
   * @throws StartupException when the registry does not answer within {@code timeout} ({@link
   *     StartupException#unreachable()}), or answers 404 (the URL is not the v3 API)
   */
  static void check(String url, Duration timeout) {
    URI info = URI.create(url.replaceAll("/+$", "") + "/system/info");
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    String last = null;
    while (true) {
      Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000L));
      try {
        HttpResponse<Void> r =
            client.send(
                HttpRequest.newBuilder(info).timeout(left).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 404) {
          throw new StartupException(
              "the schema registry at "
                  + url
                  + " ("
                  + URL
                  + ") answered 404 for "
                  + info.getPath()
                  + "; set it to the Apicurio Registry v3 API, e.g. http://HOST:8080/apis/registry/v3",
              null);
        }
        return;
      } catch (java.net.ConnectException e) {
        last = "connection refused";
      } catch (java.net.http.HttpTimeoutException e) {
        // a last try cut short by the deadline does not hide why the earlier ones failed
        last = last == null ? "no answer" : last;
      } catch (IOException e) {
        last = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("Interrupted while checking the registry at " + url, e);
      }
      if (System.nanoTime() >= deadline) {
        throw StartupException.unreachable(
            "the schema registry at "
                + url
                + " ("
                + URL
                + ") did not answer within "
                + KafkaPreflight.seconds(timeout)
                + ": "
                + last,
            null);
      }
      try {
        Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("Interrupted while checking the registry at " + url, e);
      }
    }
  }
}
