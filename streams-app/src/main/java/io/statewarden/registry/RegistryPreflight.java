package io.statewarden.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.statewarden.app.StartupException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
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
 * the serdes' credentials: HTTP Basic ({@value #USERNAME}, {@value #PASSWORD}), or a bearer token
 * from the OIDC token endpoint ({@value #TOKEN_ENDPOINT}) with the client credentials grant
 * ({@value #CLIENT_ID}, {@value #CLIENT_SECRET}, {@value #CLIENT_SCOPE}), the way the Apicurio
 * client gets one. A 401 or 403 from either the token endpoint or the registry stops the start. Any
 * other answer counts as an answer.
 */
public final class RegistryPreflight {
  static final String URL = SchemaResolverConfig.REGISTRY_URL;
  static final String USERNAME = SchemaResolverConfig.AUTH_USERNAME;
  static final String PASSWORD = SchemaResolverConfig.AUTH_PASSWORD;
  static final String TOKEN_ENDPOINT = SchemaResolverConfig.AUTH_TOKEN_ENDPOINT;
  static final String CLIENT_ID = SchemaResolverConfig.AUTH_CLIENT_ID;
  static final String CLIENT_SECRET = SchemaResolverConfig.AUTH_CLIENT_SECRET;
  static final String CLIENT_SCOPE = SchemaResolverConfig.AUTH_CLIENT_SCOPE;

  private static final ObjectMapper JSON = new ObjectMapper();

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
        String authorization = authorization(client, serdeConfig, left);
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
                          + CLIENT_ID
                          + ", "
                          + CLIENT_SECRET
                          + " and "
                          + TOKEN_ENDPOINT
                          + " (or "
                          + USERNAME
                          + " and "
                          + PASSWORD
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
                + seconds(timeout)
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

  private static String setting(Map<String, ?> config, String key) {
    Object v = config.get(key);
    if (v instanceof org.apache.kafka.common.config.types.Password p) v = p.value();
    return v == null || v.toString().isBlank() ? null : v.toString();
  }

  private static String credentialKeys(Map<String, ?> config) {
    return setting(config, TOKEN_ENDPOINT) != null
        ? CLIENT_ID + " '" + setting(config, CLIENT_ID) + "'"
        : USERNAME + " '" + setting(config, USERNAME) + "'";
  }

  /**
   * The Authorization header the serdes' settings call for, or null for none: the Apicurio client
   * prefers the token endpoint when both kinds are set, and so does this.
   */
  public static String authorization(HttpClient client, Map<String, ?> config, Duration left)
      throws IOException, InterruptedException {
    String endpoint = setting(config, TOKEN_ENDPOINT);
    if (endpoint != null) {
      String id = setting(config, CLIENT_ID);
      String secret = setting(config, CLIENT_SECRET);
      if (id == null || secret == null) {
        throw new StartupException(
            TOKEN_ENDPOINT + " is set, so " + CLIENT_ID + " and " + CLIENT_SECRET + " must be too",
            null);
      }
      String scope = setting(config, CLIENT_SCOPE);
      String form =
          "grant_type=client_credentials&client_id="
              + form(id)
              + "&client_secret="
              + form(secret)
              + (scope == null ? "" : "&scope=" + form(scope));
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(endpoint))
                  .timeout(left)
                  .header("Content-Type", "application/x-www-form-urlencoded")
                  .POST(HttpRequest.BodyPublishers.ofString(form))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 500) {
        throw new IOException("the token endpoint " + endpoint + " answered " + r.statusCode());
      }
      JsonNode token = r.statusCode() == 200 ? readJson(r.body()) : null;
      if (token == null || !token.path("access_token").isTextual()) {
        throw new StartupException(
            "the OIDC token endpoint "
                + endpoint
                + " ("
                + TOKEN_ENDPOINT
                + ") gave no access token to client '"
                + id
                + "' ("
                + CLIENT_ID
                + ", "
                + CLIENT_SECRET
                + "): HTTP "
                + r.statusCode(),
            null);
      }
      return "Bearer " + token.get("access_token").asText();
    }
    String user = setting(config, USERNAME);
    if (user != null) {
      String password = setting(config, PASSWORD);
      return "Basic "
          + Base64.getEncoder()
              .encodeToString(
                  (user + ":" + (password == null ? "" : password))
                      .getBytes(StandardCharsets.UTF_8));
    }
    return null;
  }

  private static JsonNode readJson(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String form(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** {@code d} in seconds, for messages: "30 s", "2.5 s". */
  public static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : (d.toMillis() / 1000.0) + " s";
  }
}
