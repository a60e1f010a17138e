package io.statewarden.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.statewarden.config.Topics;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Publishes the record contract in the registry: for each Avro topic, the artifact {@code
 * <topic>-value} in group {@value #GROUP} (the names Apicurio's serdes look up by default) holds
 * the schema statewarden was built with, and its compatibility rule is {@value #COMPATIBILITY}.
 * Idempotent: an artifact that has a version with exactly this content is left as it is; a new
 * schema becomes a new version only if the rule accepts it. The rule is set before a version is
 * added, so an incompatible change is refused rather than published.
 *
 * <p>The content is {@link #content(Schema)}: the whole schema, nested types inline, as the
 * serializer's {@code apicurio.registry.dereference-schema=true} prints it, so that statewarden's
 * own serializers find it by content (decision 0011).
 *
 * <p>Speaks the Apicurio Registry v3 REST API with the JDK's HTTP client; authenticates the way the
 * serdes are configured to (an OAuth2 client-credentials token, or HTTP Basic), see {@link
 * RegistryAuth#authorization}.
 */
public final class SchemaPublisher {
  public static final String GROUP = "default";
  public static final String COMPATIBILITY = "BACKWARD";

  /** A registry that answered, but not with what publishing needs. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }

    /** The HTTP status; 401 and 403 mean this client may not write. */
    public int status() {
      return status;
    }

    public boolean forbidden() {
      return status == 401 || status == 403;
    }
  }

  /** The registry did not answer, or answered that it cannot serve now (5xx). */
  public static final class Unreachable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String base;
  private final Map<String, ?> serdeConfig;
  private String authorization;
  private boolean authorized;
  private final Duration timeout;
  private final HttpClient http;

  public SchemaPublisher(String url, Map<String, ?> serdeConfig, Duration timeout) {
    this.base = url.strip().replaceAll("/+$", "");
    this.serdeConfig = serdeConfig;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /**
   * The exact text published for {@code schema}, byte for byte what Apicurio's Avro serializer
   * looks up with {@code apicurio.registry.dereference-schema=true}: {@link Schema#toString()}.
   */
  public static String content(Schema schema) {
    return schema.toString();
  }

  /** The contract: artifact id to schema, for the given topic names. */
  public static Map<String, Schema> contract(Topics topics) {
    Map<String, Schema> m = new LinkedHashMap<>();
    m.put(topics.events() + "-value", ProtocolEvent.getClassSchema());
    m.put(topics.transitions() + "-value", Transition.getClassSchema());
    m.put(topics.backouts() + "-value", Backout.getClassSchema());
    m.put(topics.audit() + "-value", AuditRecord.getClassSchema());
    return m;
  }

  /**
   * Publishes every schema of the contract.
   *
   * @return artifact id to the version that holds the schema now
   * @throws Refused when the registry refuses a request (no write rights, an incompatible schema)
   * @throws Unreachable when it does not answer
   */
  public Map<String, String> publish(Topics topics) {
    Map<String, String> versions = new LinkedHashMap<>();
    contract(topics)
        .forEach((artifact, schema) -> versions.put(artifact, publish(artifact, schema)));
    return versions;
  }

  /**
   * Reads only: the artifacts of the contract that have no version with exactly statewarden's
   * schema, which its serializers would not find (decision 0011).
   *
   * @return the artifact ids that lack it, empty when all are published
   * @throws Refused when the registry refuses the search (no read rights)
   * @throws Unreachable when it does not answer
   */
  public List<String> missing(Topics topics) {
    List<String> missing = new ArrayList<>();
    contract(topics)
        .forEach(
            (artifact, schema) -> {
              HttpResponse<String> r =
                  send(
                      "POST",
                      "/search/versions?groupId="
                          + GROUP
                          + "&artifactId="
                          + enc(artifact)
                          + "&canonical=false",
                      content(schema),
                      200);
              try {
                if (JSON.readTree(r.body()).path("count").asInt() == 0) missing.add(artifact);
              } catch (IOException e) {
                throw new Refused(
                    r.statusCode(),
                    "the schema registry at "
                        + base
                        + " answered "
                        + "a search with something that is not JSON");
              }
            });
    return missing;
  }

  private String publish(String artifact, Schema schema) {
    String path = "/groups/" + GROUP + "/artifacts/" + enc(artifact);
    boolean exists = send("GET", path, null, 200, 404).statusCode() == 200;
    if (exists) ensureRule(artifact, path);
    ObjectNode body = JSON.createObjectNode();
    body.put("artifactId", artifact);
    body.put("artifactType", "AVRO");
    ObjectNode content = body.putObject("firstVersion").putObject("content");
    content.put("content", content(schema));
    content.put("contentType", "application/json");
    HttpResponse<String> created =
        send(
            "POST",
            "/groups/" + GROUP + "/artifacts?ifExists=FIND_OR_CREATE_VERSION&canonical=false",
            body.toString(),
            200);
    if (!exists) ensureRule(artifact, path);
    try {
      return JSON.readTree(created.body()).path("version").path("version").asText();
    } catch (IOException e) {
      return "?";
    }
  }

  private void ensureRule(String artifact, String path) {
    HttpResponse<String> r = send("GET", path + "/rules/COMPATIBILITY", null, 200, 404);
    ObjectNode rule = JSON.createObjectNode();
    rule.put("ruleType", "COMPATIBILITY");
    rule.put("config", COMPATIBILITY);
    if (r.statusCode() == 404) {
      // 409: another instance starting at the same time created it first; check what it set
      if (send("POST", path + "/rules", rule.toString(), 200, 204, 409).statusCode() != 409) return;
      r = send("GET", path + "/rules/COMPATIBILITY", null, 200);
    }
    String now;
    try {
      JsonNode n = JSON.readTree(r.body());
      now = n.path("config").asText();
    } catch (IOException e) {
      now = "";
    }
    if (!COMPATIBILITY.equals(now)) {
      send("PUT", path + "/rules/COMPATIBILITY", rule.toString(), 200, 204);
    }
  }

  private HttpResponse<String> send(String method, String path, String body, int... ok) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (body != null) b.header("Content-Type", "application/json");
    HttpResponse<String> r;
    try {
      if (!authorized) {
        // the serdes' credentials: an OAuth2 token from their token endpoint, or HTTP Basic
        authorization = RegistryAuth.authorization(http, serdeConfig, timeout);
        authorized = true;
      }
      if (authorization != null) b.header("Authorization", authorization);
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new Unreachable(
          "the schema registry at "
              + base
              + " did not answer "
              + method
              + " "
              + path
              + (e.getMessage() == null ? "" : ": " + e.getMessage()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable("interrupted while publishing schemas to " + base, e);
    }
    for (int s : ok) {
      if (r.statusCode() == s) return r;
    }
    String answer =
        "the schema registry at "
            + base
            + " answered "
            + r.statusCode()
            + " to "
            + method
            + " "
            + path
            + detail(r.body());
    if (r.statusCode() >= 500) {
      // the registry is there but cannot serve now: a failure around us, like no answer
      throw new Unreachable(answer, null);
    }
    throw new Refused(r.statusCode(), answer);
  }

  private static String detail(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      String d = n.path("detail").asText(n.path("message").asText(""));
      return d.isEmpty() ? "" : ": " + d;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
