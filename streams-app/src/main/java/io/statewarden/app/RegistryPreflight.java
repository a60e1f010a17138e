package io.statewarden.app;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.statewarden.registry.RegistryAuth;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Before Kafka Streams starts: the schema registry answers, at the Apicurio Registry v3 API, and
 * lets statewarden read with the credentials the serdes will use. A registry that is down stops the
 * start with one line rather than with the first event that needs a schema; wrong or missing
 * credentials stop it too (the serdes would otherwise retry every record for good, since a 401 is a
 * failure around the record, not of it).
 *
 * <p>Requests: {@code GET <url>/system/info} (a 404 means the URL is not the v3 API), then {@code
 * GET <url>/groups?limit=1} (a read that needs the read role when the registry enforces roles) with
 * the serdes' credentials: HTTP Basic ({@value RegistryAuth#USERNAME}, {@value
 * RegistryAuth#PASSWORD}), or a bearer token from the OIDC token endpoint ({@value
 * RegistryAuth#TOKEN_ENDPOINT}) with the client credentials grant ({@value RegistryAuth#CLIENT_ID},
 * {@value RegistryAuth#CLIENT_SECRET}, {@value RegistryAuth#CLIENT_SCOPE}), the way the Apicurio
 * client gets one. A 401 or 403 from either the token endpoint or the registry stops the start. Any
 * other answer counts as an answer.
 */
public final class RegistryPreflight {
  static final String URL = SchemaResolverConfig.REGISTRY_URL;

  private RegistryPreflight() {}

  /** {@link #check(String, Map, Duration)} without credentials. */
  public static void check(String url, Duration timeout) {
    check(url, Map.of(), timeout);
  }

  /**
   * @param serdeConfig the serdes' settings, where the registry credentials are read from
   * @throws StartupException when the registry (or the token endpoint) does not answer within
   *     {@code timeout} ({@link StartupException#unreachable()}), answers 404 (the URL is not the
   *     v3 API), or refuses the credentials
   */
  public static void check(String url, Map<String, ?> serdeConfig, Duration timeout) {
    String base = url.replaceAll("/+$", "");
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
        String authorization;
        try {
          authorization = RegistryAuth.authorization(client, serdeConfig, left);
        } catch (RegistryAuth.Failed e) {
          throw new StartupException(e.getMessage(), null);
        }
        int info = get(client, base + "/system/info", null, left);
        if (info == 404) {
          throw new StartupException(
              "the schema registry at "
                  + url
                  + " ("
                  + URL
                  + ") answered 404 for "
                  + URI.create(base + "/system/info").getPath()
                  + "; set it to the Apicurio Registry v3 API, e.g. http://HOST:8080/apis/registry/v3",
              null);
        }
        int read = get(client, base + "/groups?limit=1", authorization, left);
        if (read == 401 || read == 403) {
          throw new StartupException(
              "the schema registry at "
                  + url
                  + " refused "
                  + (authorization == null
                      ? "a client without credentials; set "
                          + RegistryAuth.CLIENT_ID
                          + ", "
                          + RegistryAuth.CLIENT_SECRET
                          + " and "
                          + RegistryAuth.TOKEN_ENDPOINT
                          + " (or "
                          + RegistryAuth.USERNAME
                          + " and "
                          + RegistryAuth.PASSWORD
                          + ")"
                      : "statewarden's credentials (" + credentialKeys(serdeConfig) + ")")
                  + ": HTTP "
                  + read,
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

  private static int get(HttpClient client, String uri, String authorization, Duration left)
      throws IOException, InterruptedException {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(uri)).timeout(left).GET();
    if (authorization != null) r.header("Authorization", authorization);
    return client.send(r.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String credentialKeys(Map<String, ?> config) {
    return RegistryAuth.setting(config, RegistryAuth.TOKEN_ENDPOINT) != null
        ? RegistryAuth.CLIENT_ID + " '" + RegistryAuth.setting(config, RegistryAuth.CLIENT_ID) + "'"
        : RegistryAuth.USERNAME + " '" + RegistryAuth.setting(config, RegistryAuth.USERNAME) + "'";
  }
}
