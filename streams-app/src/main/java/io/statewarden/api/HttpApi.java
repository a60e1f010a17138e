package io.statewarden.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of an instance: {@code /health/live} (200 while the process serves) and {@code
 * /health/ready} (200 once the stream threads are RUNNING, else 503). Bound to loopback by default.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;

  public HttpApi(
      String host, int port, BooleanSupplier ready, java.util.function.Supplier<String> state)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "statewarden-http");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/health/live", ex -> reply(ex, 200, Map.of("status", "UP")));
    server.createContext(
        "/health/ready",
        ex -> {
          boolean ok = ready.getAsBoolean();
          reply(ex, ok ? 200 : 503, Map.of("status", ok ? "UP" : "DOWN", "streams", state.get()));
        });
    server.start();
    LOG.info("HTTP API on http://{}:{}", host, port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  static void reply(HttpExchange ex, int code, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
