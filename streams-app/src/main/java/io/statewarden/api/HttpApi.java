package io.statewarden.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.statewarden.protocol.MermaidDiagram;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.topology.Metrics;
import io.statewarden.topology.TopologyFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of an instance: {@code /health/live}, {@code /health/ready} (200 once the stream
 * threads are RUNNING), {@code /sessions/{id}}, {@code /protocols}, {@code /protocols/{name}} (with
 * its Mermaid diagram) and Prometheus {@code /metrics}. Bound to loopback by default.
 *
 * <p>With a bearer token configured, every endpoint except the two health checks answers 401 unless
 * the request carries {@code Authorization: Bearer <token>} (compared in constant time).
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Filter auth;
  private final ExecutorService executor =
      Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "statewarden-http");
            t.setDaemon(true);
            return t;
          });

  /** Binds now (so the port is known before Kafka Streams starts); serves after {@link #start}. */
  public HttpApi(String host, int port) throws IOException {
    this(host, port, null);
  }

  /**
   * @param token the bearer token every endpoint but the health checks requires; null for none
   */
  public HttpApi(String host, int port, String token) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(executor);
    auth = token == null ? null : new BearerAuth(token);
  }

  private void protect(HttpContext context) {
    if (auth != null) context.getFilters().add(auth);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public void start(
      KafkaStreams streams, ProtocolCatalog catalog, SessionQuery sessions, Metrics metrics) {
    server.createContext("/health/live", ex -> reply(ex, 200, Map.of("status", "UP")));
    server.createContext(
        "/health/ready",
        ex -> {
          boolean ok = streams.state() == KafkaStreams.State.RUNNING;
          reply(
              ex,
              ok ? 200 : 503,
              Map.of("status", ok ? "UP" : "DOWN", "streams", streams.state().name()));
        });
    HttpContext sessionsContext =
        server.createContext(
            "/sessions/",
            ex -> {
              String id =
                  URLDecoder.decode(
                      ex.getRequestURI().getRawPath().substring("/sessions/".length()),
                      StandardCharsets.UTF_8);
              SessionQuery.Answer a =
                  sessions.session(id, ex.getRequestHeaders().containsKey(SessionQuery.FORWARDED));
              reply(ex, a.status(), a.body());
            });
    HttpContext protocolsContext =
        server.createContext(
            "/protocols",
            ex -> {
              String rest = ex.getRequestURI().getPath().substring("/protocols".length());
              if (rest.isEmpty() || rest.equals("/")) {
                reply(ex, 200, catalog.all().stream().map(p -> summary(p, false)).toList());
                return;
              }
              String name = rest.substring(1);
              List<Protocol> versions =
                  catalog.all().stream().filter(p -> p.name().equals(name)).toList();
              if (versions.isEmpty()) {
                reply(ex, 404, Map.of("error", "no protocol " + name));
              } else {
                reply(
                    ex,
                    200,
                    Map.of(
                        "name",
                        name,
                        "versions",
                        versions.stream().map(p -> summary(p, true)).toList()));
              }
            });
    PrometheusRegistry registry = new PrometheusRegistry();
    metrics.registerTo(registry);
    registry.register(storedSessions(streams));
    registry.register(new KafkaStreamsMetrics(streams::metrics));
    HttpContext metricsContext =
        server.createContext(
            "/metrics",
            ex -> {
              byte[] bytes = PrometheusText.write(registry);
              ex.getResponseHeaders().add("Content-Type", PrometheusText.CONTENT_TYPE);
              ex.sendResponseHeaders(200, bytes.length);
              try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
              }
            });
    // anything else: 404, but only to callers with the token
    HttpContext rest =
        server.createContext("/", ex -> reply(ex, 404, Map.of("error", "not found")));
    for (HttpContext c : List.of(sessionsContext, protocolsContext, metricsContext, rest)) {
      protect(c);
    }
    server.start();
    LOG.info("HTTP API on http://{}:{}", server.getAddress().getHostString(), port());
  }

  private static Map<String, Object> summary(Protocol p, boolean diagram) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("version", p.version());
    m.put("description", p.description());
    m.put("states", p.states().keySet());
    if (diagram) {
      m.put("mermaid", MermaidDiagram.render(p));
    }
    return m;
  }

  /** Stored sessions on this instance (approximate, from RocksDB). */
  private static GaugeWithCallback storedSessions(KafkaStreams streams) {
    return GaugeWithCallback.builder()
        .name("statewarden_sessions_stored")
        .help("Sessions (active and retained final) on this instance (approximate).")
        .callback(
            c -> {
              long n;
              try {
                n =
                    streams
                        .store(
                            StoreQueryParameters.fromNameAndType(
                                TopologyFactory.SESSIONS_STORE,
                                QueryableStoreTypes.keyValueStore()))
                        .approximateNumEntries();
              } catch (InvalidStateStoreException rebalancing) {
                return; // not queryable while rebalancing: no sample rather than a wrong one
              }
              c.call(n);
            })
        .build();
  }

  static void reply(HttpExchange ex, int code, Object body) throws IOException {
    byte[] bytes =
        body instanceof SessionQuery.RawJson raw
            ? raw.json().getBytes(StandardCharsets.UTF_8)
            : JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Lets a request through only with the right bearer token; 401 otherwise. */
  private static final class BearerAuth extends Filter {
    // compare digests: MessageDigest.isEqual is constant time for equal lengths, and hashing
    // first hides the token's length too
    private final byte[] expected;

    BearerAuth(String token) {
      expected = sha256("Bearer " + token);
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
      String given = ex.getRequestHeaders().getFirst("Authorization");
      if (given != null && MessageDigest.isEqual(expected, sha256(given.strip()))) {
        chain.doFilter(ex);
        return;
      }
      ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"statewarden\"");
      ex.getRequestBody().close();
      reply(ex, 401, Map.of("error", "unauthorized: a bearer token is required"));
    }

    @Override
    public String description() {
      return "bearer token";
    }

    private static byte[] sha256(String s) {
      try {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
