package io.statewarden.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small client of a Connect worker's REST API. */
public final class ConnectRest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(90);

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * A client of the worker at {@code base}.
   *
   * @param base e.g. {@code http://127.0.0.1:8083/}
   */
  public ConnectRest(URI base) {
    this.base = base;
  }

  /** Waits until the worker answers {@code GET /connectors}. */
  public void awaitReady() {
    long end = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      try {
        if (send("GET", "connectors", null).statusCode() == 200) {
          return;
        }
      } catch (IllegalStateException e) {
        if (!(e.getCause() instanceof ConnectException)) {
          throw e;
        }
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("Connect worker at " + base + " did not become ready");
      }
      sleep(200);
    }
  }

  /**
   * Creates or updates a connector ({@code PUT /connectors/{name}/config}).
   *
   * @param name the connector name
   * @param config its configuration
   */
  public void put(String name, Map<String, String> config) {
    HttpResponse<String> r = send("PUT", "connectors/" + name + "/config", config);
    if (r.statusCode() != 200 && r.statusCode() != 201) {
      throw new IllegalStateException(
          "Connect refused connector " + name + ": HTTP " + r.statusCode() + " " + r.body());
    }
  }

  /**
   * The connector's configuration as Connect stores and returns it ({@code GET
   * /connectors/{name}/config}): config provider references unresolved.
   *
   * @param name the connector name
   * @return the configuration
   */
  public JsonNode config(String name) {
    HttpResponse<String> r = send("GET", "connectors/" + name + "/config", null);
    if (r.statusCode() != 200) {
      throw new IllegalStateException(
          "No config for connector " + name + ": HTTP " + r.statusCode() + " " + r.body());
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("Unreadable config of " + name + ": " + r.body(), e);
    }
  }

  /**
   * The connector's status document ({@code GET /connectors/{name}/status}).
   *
   * @param name the connector name
   * @return the status, or null when the worker does not know the connector
   */
  public JsonNode status(String name) {
    HttpResponse<String> r = send("GET", "connectors/" + name + "/status", null);
    if (r.statusCode() == 404) {
      return null;
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new IllegalStateException("Unreadable status of " + name + ": " + r.body(), e);
    }
  }

  /**
   * Waits until the connector and all its tasks are {@code RUNNING}.
   *
   * @param name the connector name
   * @throws IllegalStateException when a task fails (with its trace) or time runs out
   */
  public void awaitRunning(String name) {
    long end = System.nanoTime() + RUNNING_TIMEOUT.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < end) {
      last = status(name);
      if (last != null) {
        for (JsonNode task : last.path("tasks")) {
          if ("FAILED".equals(task.path("state").asText())) {
            throw new IllegalStateException(
                "Task of " + name + " failed: " + task.path("trace").asText());
          }
        }
        if ("FAILED".equals(last.path("connector").path("state").asText())) {
          throw new IllegalStateException(
              "Connector " + name + " failed: " + last.path("connector").path("trace").asText());
        }
        boolean running = "RUNNING".equals(last.path("connector").path("state").asText());
        boolean tasksRunning = !last.path("tasks").isEmpty();
        for (JsonNode task : last.path("tasks")) {
          tasksRunning &= "RUNNING".equals(task.path("state").asText());
        }
        if (running && tasksRunning) {
          return;
        }
      }
      sleep(200);
    }
    throw new IllegalStateException("Connector " + name + " is not running: " + last);
  }

  private HttpResponse<String> send(String method, String path, Object body) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(base.resolve(path))
              .timeout(Duration.ofSeconds(30))
              .header("Accept", "application/json");
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + base.resolve(path) + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
  }
}
