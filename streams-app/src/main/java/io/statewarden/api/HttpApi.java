package io.statewarden.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.engine.Command;
import io.statewarden.metrics.KafkaStreamsMetrics;
import io.statewarden.metrics.Metrics;
import io.statewarden.metrics.PrometheusText;
import io.statewarden.protocol.MermaidDiagram;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.topology.CommandWriter;
import io.statewarden.topology.TopologyFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of an instance: {@code /health/live}, {@code /health/ready} (200 once the stream
 * threads are RUNNING), {@code /sessions/{id}}, {@code
 * /sessions?protocol=&state=&olderThan=&limit=&after=} (the session list, {@link SessionList}),
 * {@code /protocols}, {@code /protocols/{name}} (with its Mermaid diagram) and Prometheus {@code
 * /metrics}; operator commands ({@code POST /sessions/{id}/cancel|retry|move}, {@link
 * CommandRoute}); the console's files ({@code /}, {@code /console/...}) and the data it shows
 * ({@code /stats}, {@code /stats?scope=cluster}, {@code /deadlines}, {@code /dead-letters}). Bound
 * to loopback by default.
 *
 * <p>With a bearer token configured, every endpoint except the two health checks and the console's
 * files (static, no data) answers 401 unless the request carries {@code Authorization: Bearer
 * <token>} (compared in constant time).
 *
 * <p>No client can keep the health checks from answering (decision 0009): requests are read by one
 * non-blocking event loop, which also answers the health checks; a connection that has not sent a
 * whole request within {@link Limits#readTimeout} (from connecting, or from its previous answer) is
 * closed; past {@link Limits#maxConnections} open connections a new one is closed at once. Work
 * that may block (session lookups, which can forward to another instance; metrics; protocols) runs
 * on {@value #WORKERS} worker threads.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Threads for the endpoints that may block; the health checks never wait for them. */
  static final int WORKERS = 4;

  /** How long a response may stall (a client that does not read it) before its connection goes. */
  private static final Duration STALLED_RESPONSE = Duration.ofSeconds(60);

  /**
   * What one client can hold.
   *
   * @param readTimeout longest time to receive a whole request, from the connection's start or its
   *     previous response
   * @param maxConnections most connections open at once
   * @param maxRecordBytes {@code statewarden.max.record.bytes}: a migration whose record would be
   *     larger is refused (400)
   */
  public record Limits(Duration readTimeout, int maxConnections, int maxRecordBytes) {
    public Limits(Duration readTimeout, int maxConnections) {
      this(readTimeout, maxConnections, MigrationRoute.PRODUCER_MAX_BYTES);
    }
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final String host;
  private final Limits limits;
  private final byte[] expected;

  /**
   * The operator tokens' digests: the shared one (name null: its holder names the operator) and the
   * personal ones (name: the operator); empty, with the command route null: commands disabled.
   */
  private volatile List<OperatorToken> operatorTokens = List.of();

  /** An operator token's digest and whose it is (null: the shared token). */
  private record OperatorToken(String name, byte[] digest) {}

  /** Who sent an operator request: the name its token stands for, or null for the shared token. */
  private record Operator(String name) {}

  private volatile CommandRoute commands;

  /** Logs a migration to every partition; null: migrations disabled (decision 0018). */
  private volatile Consumer<io.statewarden.engine.Migration> migrations;

  private final ConsoleAssets assets = new ConsoleAssets();
  private volatile DeadLetters deadLetters;

  /**
   * Sent with every answer: the console's pages run only the scripts and styles served here (no
   * inline script or style, no other origin), and nothing is sniffed or framed (docs/security.md).
   */
  static final Map<String, String> SECURITY_HEADERS =
      Map.of(
          "Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
              + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          "X-Content-Type-Options",
          "nosniff",
          "Referrer-Policy",
          "no-referrer");

  /** The routes, once {@link #start} has them; until then every request is answered 503. */
  private volatile Router router;

  // event loop only: one per open connection, the timer that closes it unless a request completes
  private final Map<HttpConnection, Long> readDeadlines = new HashMap<>();
  private final AtomicInteger open = new AtomicInteger();

  /**
   * Binds now (so the port is known before Kafka Streams starts); serves after {@link #start}.
   *
   * @param token the bearer token every endpoint but the health checks requires; null for none
   * @throws IOException when the address cannot be bound
   */
  public HttpApi(String host, int port, String token, Limits limits) throws IOException {
    this.host = host;
    this.limits = limits;
    this.expected = token == null ? null : digest("Bearer " + token);
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(WORKERS)
                // no classpath file cache under /tmp (the container's root is read-only)
                .setFileSystemOptions(
                    new FileSystemOptions()
                        .setClassPathResolvingEnabled(false)
                        .setFileCachingEnabled(false)));
    server =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                // else a connection is not handed over until its first bytes arrive (to tell
                // HTTP/2 from HTTP/1), and one that sends nothing would escape the read deadline
                .setHttp2ClearTextEnabled(false)
                // gzip for clients that ask (the Mermaid bundle: 3.1 MB, 0.9 MB gzipped)
                .setCompressionSupported(true)
                .setIdleTimeout((int) STALLED_RESPONSE.toSeconds())
                .setIdleTimeoutUnit(TimeUnit.SECONDS));
    server.connectionHandler(this::accepted);
    server.requestHandler(this::received);
    // a hostile or broken client is not worth more than a debug line
    server.exceptionHandler(e -> LOG.debug("HTTP connection failed", e));
    try {
      server.listen().toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      vertx.close();
      if (e.getCause() instanceof IOException io) throw io;
      throw new IOException("cannot listen on " + host + ":" + port, e.getCause());
    } catch (InterruptedException e) {
      vertx.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + host + ":" + port, e);
    }
  }

  public int port() {
    return server.actualPort();
  }

  /** Connections open now. */
  int openConnections() {
    return open.get();
  }

  /**
   * Enables {@code POST /sessions/{id}/cancel|retry|move} for callers with an operator token (which
   * also reads); call before {@link #start}. Without it those answer 403.
   *
   * @param sharedToken the one operator token whose holder names the operator in the request; null
   *     for none
   * @param personal operator name to that person's token: a command sent with it is audited under
   *     that name (docs/decisions/0019)
   * @param writer logs a command; throws {@link CommandWriter.NotLogged} when it may not have
   */
  public void operators(
      String sharedToken,
      Map<String, String> personal,
      Consumer<Command> writer,
      Consumer<io.statewarden.engine.Migration> migrations) {
    List<OperatorToken> tokens = new java.util.ArrayList<>();
    if (sharedToken != null) tokens.add(new OperatorToken(null, digest("Bearer " + sharedToken)));
    personal.forEach(
        (name, token) -> tokens.add(new OperatorToken(name, digest("Bearer " + token))));
    this.operatorTokens = List.copyOf(tokens);
    this.commands = new CommandRoute(writer);
    this.migrations = migrations;
  }

  public void start(
      KafkaStreams streams, ProtocolCatalog catalog, SessionQuery sessions, Metrics metrics) {
    start(streams, catalog, sessions, metrics, null);
  }

  /**
   * @param deadLetters reads the dead-letter topic for {@code /dead-letters}; null: 404 there
   */
  public void start(
      KafkaStreams streams,
      ProtocolCatalog catalog,
      SessionQuery sessions,
      Metrics metrics,
      DeadLetters deadLetters) {
    PrometheusRegistry registry = new PrometheusRegistry();
    metrics.registerTo(registry);
    registry.register(storedSessions(streams));
    registry.register(new KafkaStreamsMetrics(streams::metrics));
    ConsoleStats stats = new ConsoleStats(metrics);
    stats.sample(System.currentTimeMillis());
    vertx.setPeriodic(ConsoleStats.STEP_MS, id -> stats.sample(System.currentTimeMillis()));
    this.deadLetters = deadLetters;
    router =
        new Router(
            streams,
            catalog,
            sessions,
            registry,
            stats,
            new SessionScan(streams, SessionScan.MAX_SCAN));
    LOG.info("HTTP API on http://{}:{}", host, port());
  }

  private void accepted(HttpConnection conn) {
    if (open.incrementAndGet() > limits.maxConnections()) {
      open.decrementAndGet();
      LOG.debug("HTTP connection from {} refused: {} open", conn.remoteAddress(), open.get());
      conn.close();
      return;
    }
    conn.closeHandler(
        v -> {
          open.decrementAndGet();
          disarm(conn);
        });
    arm(conn);
  }

  /** Closes {@code conn} unless a whole request arrives in time; keeps a running deadline. */
  private void arm(HttpConnection conn) {
    readDeadlines.computeIfAbsent(
        conn,
        c ->
            vertx.setTimer(
                limits.readTimeout().toMillis(),
                id -> {
                  readDeadlines.remove(c);
                  LOG.debug("HTTP request from {} not read in time: closing", c.remoteAddress());
                  c.close();
                }));
  }

  private void disarm(HttpConnection conn) {
    Long timer = readDeadlines.remove(conn);
    if (timer != null) vertx.cancelTimer(timer);
  }

  private void received(HttpServerRequest req) {
    HttpConnection conn = req.connection();
    // the read deadline stops once this request is read, and starts again, for the next request on
    // this connection, once it is also answered
    boolean[] done = new boolean[2]; // read, answered
    req.end()
        .onSuccess(
            v -> {
              disarm(conn);
              done[0] = true;
              if (done[1]) arm(conn);
            });
    req.response()
        .endHandler(
            v -> {
              done[1] = true;
              if (done[0]) arm(conn);
            });
    SECURITY_HEADERS.forEach(req.response()::putHeader);
    Router r = router;
    if (r == null) {
      reply(req, 503, Map.of("error", "starting", "retry", true));
    } else {
      r.route(req);
    }
  }

  /** The endpoints, once the stream threads and the catalog exist. */
  private final class Router {
    private final KafkaStreams streams;
    private final ProtocolCatalog catalog;
    private final SessionQuery sessions;
    private final PrometheusRegistry registry;
    private final ConsoleStats stats;
    private final SessionScan scan;

    Router(
        KafkaStreams streams,
        ProtocolCatalog catalog,
        SessionQuery sessions,
        PrometheusRegistry registry,
        ConsoleStats stats,
        SessionScan scan) {
      this.streams = streams;
      this.catalog = catalog;
      this.sessions = sessions;
      this.registry = registry;
      this.stats = stats;
      this.scan = scan;
    }

    void route(HttpServerRequest req) {
      String path = req.path();
      // the health checks: open, and answered on the event loop, never behind other work
      if (path.equals("/health/live")) {
        reply(req, 200, Map.of("status", "UP"));
        return;
      }
      if (path.equals("/health/ready")) {
        KafkaStreams.State state = streams.state();
        boolean ok = state == KafkaStreams.State.RUNNING;
        reply(req, ok ? 200 : 503, Map.of("status", ok ? "UP" : "DOWN", "streams", state.name()));
        return;
      }
      // the console's files: open, as a browser cannot send the token when it opens a page; they
      // hold no data (every answer with data needs the token)
      if (path.equals("/") || path.startsWith("/console/")) {
        blocking(req, () -> asset(req, path.equals("/") ? "index.html" : path.substring(9)));
        return;
      }
      if (path.equals("/migrations") && req.method() == HttpMethod.POST) {
        migrate(req);
        return;
      }
      Command.Kind verb =
          path.startsWith("/sessions/") && req.method() == HttpMethod.POST
              ? CommandRoute.verb(path)
              : null;
      if (verb != null) {
        command(req, path, verb);
        return;
      }
      if (!authorized(req)) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"statewarden\"");
        reply(req, 401, Map.of("error", "unauthorized: a bearer token is required"));
        return;
      }
      if (path.equals("/sessions")) {
        Map<String, String> params = new LinkedHashMap<>();
        req.params().forEach(e -> params.putIfAbsent(e.getKey(), e.getValue()));
        boolean forwarded = req.headers().contains(SessionQuery.FORWARDED);
        blocking(req, () -> sessions.list(params, forwarded));
      } else if (path.startsWith("/sessions/")) {
        String id;
        try {
          id = PathSegment.decode(path.substring("/sessions/".length()));
        } catch (IllegalArgumentException e) {
          boolean slash = path.indexOf('/', "/sessions/".length()) >= 0;
          reply(
              req,
              slash ? 404 : 400,
              Map.of(
                  "error",
                  slash
                      ? "not found (a '/' in a session id is sent as %2F)"
                      : "bad session id in the path: " + e.getMessage()));
          return;
        }
        if (id.isEmpty()) {
          reply(req, 404, Map.of("error", "not found"));
          return;
        }
        boolean forwarded = req.headers().contains(SessionQuery.FORWARDED);
        blocking(req, () -> sessions.session(id, forwarded));
      } else if (path.startsWith("/migrations/")) {
        String id;
        try {
          id = PathSegment.decode(path.substring("/migrations/".length()));
        } catch (IllegalArgumentException e) {
          reply(req, 404, Map.of("error", "not found"));
          return;
        }
        boolean forwarded = req.headers().contains(SessionQuery.FORWARDED);
        blocking(req, () -> sessions.migration(id, forwarded));
      } else if (path.equals("/protocols") || path.equals("/protocols/")) {
        blocking(
            req,
            () -> new Answer(200, catalog.all().stream().map(p -> summary(p, false)).toList()));
      } else if (path.startsWith("/protocols/")) {
        String name;
        try {
          name = PathSegment.decode(path.substring("/protocols/".length()));
        } catch (IllegalArgumentException e) {
          reply(req, 404, Map.of("error", "not found"));
          return;
        }
        blocking(req, () -> protocol(name));
      } else if (path.equals("/deadlines")) {
        // the console's deadlines page: this instance's stored sessions by due window, from a
        // bounded scan (SessionScan)
        String protocol = req.getParam("protocol");
        String state = req.getParam("state");
        long minAge;
        int limit;
        try {
          minAge = number(req, "minAgeMs", 0);
          limit = (int) number(req, "limit", 50);
        } catch (NumberFormatException e) {
          reply(req, 400, Map.of("error", "minAgeMs and limit are whole numbers"));
          return;
        }
        blocking(
            req,
            () ->
                scan.list(
                    blankToNull(protocol),
                    blankToNull(state),
                    minAge,
                    limit,
                    System.currentTimeMillis()));
      } else if (path.equals("/stats")) {
        // this instance's counts, or with scope=cluster every instance's summed (ClusterStats)
        String scope = req.getParam("scope");
        if (scope != null && !scope.equals("instance") && !scope.equals("cluster")) {
          reply(req, 400, Map.of("error", "scope must be instance or cluster, got " + scope));
          return;
        }
        boolean cluster =
            "cluster".equals(scope) && !req.headers().contains(SessionQuery.FORWARDED);
        blocking(
            req,
            () -> {
              Map<String, Object> local = stats.view(System.currentTimeMillis());
              return cluster ? sessions.clusterStats(local) : new Answer(200, local);
            });
      } else if (path.equals("/dead-letters") && deadLetters != null) {
        int limit;
        try {
          limit = (int) number(req, "limit", 20);
        } catch (NumberFormatException e) {
          reply(req, 400, Map.of("error", "limit is a whole number"));
          return;
        }
        blocking(req, () -> deadLetters.last(limit));
      } else if (path.equals("/metrics")) {
        blocking(
            req,
            () -> {
              byte[] bytes = PrometheusText.write(registry);
              return new Answer(200, new Raw(PrometheusText.CONTENT_TYPE, bytes));
            });
      } else {
        // anything else: 404, but only to callers with the token
        reply(req, 404, Map.of("error", "not found"));
      }
    }

    /**
     * {@code POST /migrations}: the operator token, else 403 (a reader) or 401 (nobody known), as a
     * command; nothing is written unless it is given.
     */
    private void migrate(HttpServerRequest req) {
      Consumer<io.statewarden.engine.Migration> writer = migrations;
      Operator operator = operator(req);
      if (writer == null || operator == null) {
        refuseOperator(req, writer != null, "migrate");
        return;
      }
      MigrationRoute route =
          new MigrationRoute(catalog, sessions::list, writer, limits.maxRecordBytes());
      req.body()
          .onSuccess(
              buf -> {
                if (buf.length() > MigrationRoute.MAX_BODY) {
                  reply(
                      req, 413, Map.of("error", "body over " + MigrationRoute.MAX_BODY + " bytes"));
                  return;
                }
                blocking(req, () -> route.handle(buf.getBytes(), operator.name()));
              });
    }

    /**
     * A request that needs an operator token and has none: 401 when its caller is not known, else
     * 403 (a reader, or operator commands not {@code enabled}).
     */
    private void refuseOperator(HttpServerRequest req, boolean enabled, String what) {
      if (!authorized(req)) {
        req.response().putHeader("WWW-Authenticate", "Bearer realm=\"statewarden\"");
        reply(req, 401, Map.of("error", "unauthorized: a bearer token is required"));
        return;
      }
      reply(
          req,
          403,
          Map.of(
              "error",
              enabled
                  ? "forbidden: " + what + " needs the operator token"
                  : "operator commands are disabled: set statewarden.http.operator.token"
                      + " or statewarden.http.operator.tokens.file"));
    }

    /** An operator command: the operator token, else 403 (a reader) or 401 (nobody known). */
    private void command(HttpServerRequest req, String path, Command.Kind verb) {
      CommandRoute route = commands;
      Operator operator = operator(req);
      if (route == null || operator == null) {
        refuseOperator(req, route != null, verb.label());
        return;
      }
      String id;
      try {
        String rest = path.substring("/sessions/".length(), path.lastIndexOf('/'));
        id = PathSegment.decode(rest);
      } catch (IllegalArgumentException e) {
        reply(req, 400, Map.of("error", "bad session id in the path: " + e.getMessage()));
        return;
      }
      if (id.isEmpty()) {
        reply(req, 404, Map.of("error", "not found"));
        return;
      }
      req.body()
          .onSuccess(
              buf -> {
                if (buf.length() > CommandRoute.MAX_BODY) {
                  reply(req, 413, Map.of("error", "body over " + CommandRoute.MAX_BODY + " bytes"));
                  return;
                }
                blocking(req, () -> route.handle(verb, id, buf.getBytes(), operator.name()));
              });
    }

    private Answer protocol(String name) {
      List<Protocol> versions = catalog.all().stream().filter(p -> p.name().equals(name)).toList();
      if (versions.isEmpty()) {
        return new Answer(404, Map.of("error", "no protocol " + name));
      }
      return new Answer(
          200,
          Map.of("name", name, "versions", versions.stream().map(p -> summary(p, true)).toList()));
    }
  }

  /** The query parameter {@code name} as a whole number, or {@code absent} without it. */
  private static long number(HttpServerRequest req, String name, long absent) {
    String v = req.getParam(name);
    return v == null || v.isBlank() ? absent : Math.max(0, Long.parseLong(v.strip()));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** A console file, or 304 when the browser has it already, or 404. */
  private Answer asset(HttpServerRequest req, String name) {
    var found = assets.get(name);
    if (found.isEmpty()) return new Answer(404, Map.of("error", "not found"));
    ConsoleAssets.Asset a = found.get();
    // revalidated on each use (no-cache), answered 304 while unchanged
    Map<String, String> headers = Map.of("ETag", a.etag(), "Cache-Control", "no-cache");
    if (a.etag().equals(req.getHeader("If-None-Match"))) {
      return new Answer(304, new Raw(a.type(), new byte[0], headers));
    }
    return new Answer(200, new Raw(a.type(), a.bytes(), headers));
  }

  /** A body already encoded, with its content type. */
  private record Raw(String contentType, byte[] bytes, Map<String, String> headers) {
    Raw(String contentType, byte[] bytes) {
      this(contentType, bytes, Map.of());
    }
  }

  /** Runs {@code work} on a worker thread and answers with its result (500 if it throws). */
  private void blocking(HttpServerRequest req, Supplier<Answer> work) {
    vertx
        .executeBlocking(work::get, false)
        .onComplete(
            done -> {
              if (done.succeeded()) {
                reply(req, done.result().status(), done.result().body());
              } else {
                LOG.warn("HTTP {} {} failed", req.method(), req.path(), done.cause());
                reply(req, 500, Map.of("error", "internal error (logged)"));
              }
            });
  }

  private boolean authorized(HttpServerRequest req) {
    if (expected == null) return true;
    String given = req.getHeader("Authorization");
    return given != null
        && (MessageDigest.isEqual(expected, digest(given.strip())) || operator(req) != null);
  }

  /**
   * The operator whose token the request carries, or null. Every token is compared, in constant
   * time, whichever matches: the time does not tell which one did.
   */
  private Operator operator(HttpServerRequest req) {
    String given = req.getHeader("Authorization");
    if (given == null) return null;
    byte[] d = digest(given.strip());
    Operator found = null;
    for (OperatorToken t : operatorTokens) {
      if (MessageDigest.isEqual(t.digest(), d) && found == null) found = new Operator(t.name());
    }
    return found;
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

  private static void reply(HttpServerRequest req, int code, Object body) {
    HttpServerResponse res = req.response();
    if (res.closed() || res.ended()) return; // the client left, or its deadline closed it
    String type = "application/json";
    byte[] bytes;
    if (body instanceof Raw raw) {
      type = raw.contentType();
      bytes = raw.bytes();
      raw.headers().forEach(res::putHeader);
    } else if (body instanceof SessionQuery.RawJson raw) {
      bytes = raw.json().getBytes(StandardCharsets.UTF_8);
    } else {
      try {
        bytes = JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("Cannot write the answer as JSON", e);
      }
    }
    res.setStatusCode(code).putHeader("Content-Type", type).end(Buffer.buffer(bytes));
  }

  // bearer tokens are compared as digests: MessageDigest.isEqual is constant time for equal
  // lengths, and hashing first hides the token's length too
  private static byte[] digest(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (deadLetters != null) deadLetters.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("HTTP API did not stop cleanly", e);
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
    }
  }
}
