package io.statewarden.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.resolver.config.SchemaResolverConfig;
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
 * How statewarden signs in to the registry outside the serdes (the start's check, the schema
 * publisher): with the serdes' own settings, HTTP Basic ({@value #USERNAME}, {@value #PASSWORD}) or
 * a bearer token from the OIDC token endpoint ({@value #TOKEN_ENDPOINT}) with the client
 * credentials grant ({@value #CLIENT_ID}, {@value #CLIENT_SECRET}, {@value #CLIENT_SCOPE}), the way
 * the Apicurio client gets one.
 */
public final class RegistryAuth {
  public static final String USERNAME = SchemaResolverConfig.AUTH_USERNAME;
  public static final String PASSWORD = SchemaResolverConfig.AUTH_PASSWORD;
  public static final String TOKEN_ENDPOINT = SchemaResolverConfig.AUTH_TOKEN_ENDPOINT;
  public static final String CLIENT_ID = SchemaResolverConfig.AUTH_CLIENT_ID;
  public static final String CLIENT_SECRET = SchemaResolverConfig.AUTH_CLIENT_SECRET;
  public static final String CLIENT_SCOPE = SchemaResolverConfig.AUTH_CLIENT_SCOPE;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The credential settings are incomplete, or the token endpoint gave no token. */
  public static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failed(String message) {
      super(message);
    }
  }

  private RegistryAuth() {}

  /** A setting of the serdes as text, or null when unset or blank. */
  public static String setting(Map<String, ?> config, String key) {
    Object v = config.get(key);
    if (v instanceof org.apache.kafka.common.config.types.Password p) v = p.value();
    return v == null || v.toString().isBlank() ? null : v.toString();
  }

  /**
   * The Authorization header the serdes' settings call for, or null for none: the Apicurio client
   * prefers the token endpoint when both kinds are set, and so does this.
   *
   * @throws Failed when the settings are incomplete or the token endpoint refuses
   * @throws IOException when the token endpoint does not answer (or answers 5xx)
   */
  public static String authorization(HttpClient client, Map<String, ?> config, Duration left)
      throws IOException, InterruptedException {
    String endpoint = setting(config, TOKEN_ENDPOINT);
    if (endpoint != null) {
      String id = setting(config, CLIENT_ID);
      String secret = setting(config, CLIENT_SECRET);
      if (id == null || secret == null) {
        throw new Failed(
            TOKEN_ENDPOINT + " is set, so " + CLIENT_ID + " and " + CLIENT_SECRET + " must be too");
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
        throw new Failed(
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
                + r.statusCode());
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
}
