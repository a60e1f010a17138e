package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.statewarden.registry.RegistryClientSettings;
import io.statewarden.schema.ProtocolEvent;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real exceptions from the real Apicurio serdes, configured as {@link TopologyFactory} configures
 * them plus {@link RegistryClientSettings#withDefaults}, against registries that fail in the ways a
 * real one does, each classified by {@link InputFailures#isRetriable}. Each test names the rule it
 * protects: failures around the record are retriable (rethrow, never dead-letter), failures of the
 * record are permanent (dead-letter).
 *
 * <p>The registry that answers is a {@link HttpServer} replaying what a real Apicurio Registry
 * 3.0.9 ({@code io.statewarden.embedded.EmbeddedRegistry}) answers: the schema text of a content id
 * as {@code application/octet-stream}, its references as {@code []}, an unknown id as 404 with a
 * {@code ContentNotFoundException} problem. Records are in Apicurio 3's default wire format: magic
 * byte 0, a 4-byte content id, Avro binary.
 */
class InputFailuresTest {
  private static final Logger LOG = LoggerFactory.getLogger(InputFailuresTest.class);
  private static final String TOPIC = "statewarden.events";
  private static final String V3 = "/apis/registry/v3";
  private static final Duration BOUND = Duration.ofSeconds(60);
  private static final String SCHEMA = ProtocolEvent.getClassSchema().toString();

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) c.close();
  }

  // --- (a) connection refused

  /** Rule: a registry that refuses connections is around us: retriable. */
  @Test
  void shouldRetryWhenTheRegistryRefusesConnections() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }

    Throwable e = decodeFailure("http://127.0.0.1:" + closedPort + V3, record(1, event()));

    assertThat(e).hasRootCauseInstanceOf(ConnectException.class);
    assertThat(InputFailures.isRetriable(e)).isTrue();
  }

  // --- (b) frozen registry

  /**
   * Rule: a registry that accepts connections and never answers is around us: retriable, and the
   * call gives up well within max.poll.interval.ms (300 s), under 60 s.
   */
  @Test
  void shouldRetryAndReturnInTimeWhenTheRegistryNeverAnswers() throws IOException {
    Frozen frozen = frozen();

    long start = System.nanoTime();
    Throwable e = decodeFailure(frozen.url(), record(1, event()));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    LOG.info(
        "Frozen registry: deserialize gave up after {} ms ({} connection(s) accepted)",
        took.toMillis(),
        frozen.accepted.get());
    assertThat(took).isLessThan(BOUND);
    assertThat(InputFailures.isRetriable(e)).isTrue();
  }

  /** Rule: the serializer's registry calls are bounded the same way (auto-register, frozen). */
  @Test
  void shouldRetryAndReturnInTimeWhenTheRegistryNeverAnswersTheSerializer() throws IOException {
    Frozen frozen = frozen();
    Map<String, Object> config = new HashMap<>();
    config.put("apicurio.registry.url", frozen.url());
    config.put("apicurio.registry.auto-register", "true");
    Serializer<Object> serializer =
        TopologyFactory.avroSerializer(RegistryClientSettings.withDefaults(config));
    open.add(serializer);

    long start = System.nanoTime();
    Throwable e = catchThrowable(() -> serializer.serialize(TOPIC, new RecordHeaders(), event()));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    LOG.info("Frozen registry: serialize gave up after {} ms: {}", took.toMillis(), chain(e));
    assertThat(e).isNotNull();
    assertThat(took).isLessThan(BOUND);
    assertThat(InputFailures.isRetriable(e)).isTrue();
  }

  // --- (c) the registry answers with an error status

  /** Rule: 503 Service Unavailable is around us: retriable. */
  @Test
  void shouldRetryOnServiceUnavailable() throws IOException {
    assertThat(InputFailures.isRetriable(statusFailure(503))).isTrue();
  }

  /** Rule: 429 Too Many Requests is around us: retriable. */
  @Test
  void shouldRetryOnTooManyRequests() throws IOException {
    Registry registry = registry(ex -> problem(ex, 429, "TooManyRequests"));

    Throwable e = decodeFailure(registry.url(), record(1, event()));

    assertThat(InputFailures.isRetriable(e)).isTrue();
    // retry-count does not make the client retry a 429 (RegistryClientSettings): one request
    assertThat(registry.requests).hasSize(1);
  }

  /** Rule: 500 (which the client reports as a ProblemDetails) is around us: retriable. */
  @Test
  void shouldRetryOnInternalServerError() throws IOException {
    assertThat(InputFailures.isRetriable(statusFailure(500))).isTrue();
  }

  /** Rule: an id the registry does not know (404) is the record's: permanent. */
  @Test
  void shouldDeadLetterAnIdTheRegistryDoesNotKnow() throws IOException {
    Throwable e = statusFailure(404);

    assertThat(e).hasCauseInstanceOf(com.microsoft.kiota.ApiException.class);
    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  // --- (d) bad bytes

  /** Rule: bytes without the magic byte are the record's: permanent. */
  @Test
  void shouldDeadLetterBytesWithoutTheMagicByte() throws IOException {
    Registry registry = registry(InputFailuresTest::realRegistry);

    Throwable e =
        decodeFailure(registry.url(), "not avro at all".getBytes(StandardCharsets.US_ASCII));

    assertThat(InputFailures.isRetriable(e)).isFalse();
    assertThat(registry.requests).isEmpty();
  }

  /** Rule: a magic byte with no room for an id is the record's: permanent. */
  @Test
  void shouldDeadLetterBytesTooShortForAnId() throws IOException {
    Registry registry = registry(InputFailuresTest::realRegistry);

    Throwable e = decodeFailure(registry.url(), new byte[] {0, 0, 1});

    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  // --- (e) a known schema the bytes do not fit

  /** The fake registry speaks the client's protocol: a good record decodes. */
  @Test
  void shouldDecodeAGoodRecordFromTheReplayedRegistry() throws IOException {
    Registry registry = registry(InputFailuresTest::realRegistry);
    Deserializer<Object> d = deserializer(registry.url());

    Object decoded = d.deserialize(TOPIC, new RecordHeaders(), record(1, event()));

    assertThat(decoded).isInstanceOf(ProtocolEvent.class);
    assertThat(((ProtocolEvent) decoded).getEventId()).isEqualTo("e-1");
    assertThat(registry.requests)
        .containsExactly(V3 + "/ids/contentIds/1", V3 + "/ids/contentIds/1/references");
  }

  /**
   * Rule: Avro that ends early is the record's: permanent, although the EOFException under it is an
   * IOException.
   */
  @Test
  void shouldDeadLetterTruncatedAvro() throws IOException {
    Registry registry = registry(InputFailuresTest::realRegistry);
    byte[] good = record(1, event());

    Throwable e = decodeFailure(registry.url(), Arrays.copyOf(good, good.length - 3));

    assertThat(e).isInstanceOf(UncheckedIOException.class);
    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  /** Rule: a writer schema without a field the reader requires is the record's: permanent. */
  @Test
  void shouldDeadLetterARecordMissingARequiredField() throws IOException {
    String writer = SCHEMA.replace("\"name\":\"type\",", "\"name\":\"kind\",");
    assertThat(writer).isNotEqualTo(SCHEMA);
    Registry registry = registry(ex -> realRegistry(ex, writer));

    Throwable e = decodeFailure(registry.url(), record(1, event()));

    assertThat(e).hasMessageContaining("missing required field type");
    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  /** Rule: a field of another type than the reader's is the record's: permanent. */
  @Test
  void shouldDeadLetterARecordWithAFieldOfTheWrongType() throws IOException {
    String writer =
        SCHEMA.replace(
            "{\"name\":\"eventId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}",
            "{\"name\":\"eventId\",\"type\":\"int\"");
    assertThat(writer).isNotEqualTo(SCHEMA);
    Registry registry = registry(ex -> realRegistry(ex, writer));

    Throwable e = decodeFailure(registry.url(), record(1, event()));

    assertThat(e).hasMessageContaining("expecting string");
    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  /**
   * Rule: not every IOException is the network: a schema that does not parse (Jackson's
   * JsonParseException is an IOException) is permanent.
   */
  @Test
  void shouldDeadLetterWhenTheSchemaDoesNotParse() throws IOException {
    Registry registry = registry(ex -> realRegistry(ex, "{\"type\": \"record\", \"name\""));

    Throwable e = decodeFailure(registry.url(), record(1, event()));

    assertThat(e).hasRootCauseInstanceOf(com.fasterxml.jackson.core.JacksonException.class);
    assertThat(InputFailures.isRetriable(e)).isFalse();
  }

  // --- the walk itself

  /** Rule: a network failure anywhere in the chain, suppressed ones included, is retriable. */
  @Test
  void shouldFindANetworkFailureAmongSuppressedExceptions() {
    RuntimeException fallback = new IllegalStateException("fallback lookup failed");
    fallback.addSuppressed(new RuntimeException(new ConnectException("Connection refused")));

    assertThat(InputFailures.isRetriable(fallback)).isTrue();
    assertThat(InputFailures.isRetriable(new IllegalStateException("bad record"))).isFalse();
  }

  /** Rule: a cause cycle ends the walk (permanent unless something in it is retriable). */
  @Test
  void shouldWalkACyclicChain() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);

    assertThat(InputFailures.isRetriable(a)).isFalse();
  }

  // --- the settings

  /** Rule: explicit serde settings win over the defaults, and the caller's map is not changed. */
  @Test
  void shouldKeepExplicitSettings() {
    Map<String, Object> given = new HashMap<>();
    given.put(RegistryClientSettings.RETRY_COUNT, "7");

    Map<String, Object> c = RegistryClientSettings.withDefaults(given);

    assertThat(c)
        .containsEntry(RegistryClientSettings.RETRY_COUNT, "7")
        .containsEntry(RegistryClientSettings.RETRY_BACKOFF_MS, "500")
        .containsEntry(RegistryClientSettings.HTTP_ADAPTER, "VERTX");
    assertThat(c.get(RegistryClientSettings.VERTX_INSTANCE)).isInstanceOf(Vertx.class);
    assertThat(given).containsOnlyKeys(RegistryClientSettings.RETRY_COUNT);
  }

  // --- helpers

  private Deserializer<Object> deserializer(String url) {
    Deserializer<Object> d =
        TopologyFactory.avroDeserializer(
            RegistryClientSettings.withDefaults(Map.of("apicurio.registry.url", url)));
    open.add(d);
    return d;
  }

  private Throwable decodeFailure(String url, byte[] value) {
    Deserializer<Object> d = deserializer(url);
    Throwable e = catchThrowable(() -> d.deserialize(TOPIC, new RecordHeaders(), value));
    assertThat(e).as("deserialize should fail").isNotNull();
    LOG.info("Chain: {}", chain(e));
    return e;
  }

  private Throwable statusFailure(int status) throws IOException {
    String name = status == 404 ? "ContentNotFoundException" : "Unavailable";
    Registry registry = registry(ex -> problem(ex, status, name));
    return decodeFailure(registry.url(), record(1, event()));
  }

  /** Outermost first, with the status of Kiota's exceptions. */
  static List<String> chain(Throwable t) {
    List<String> names = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable e = t; e != null && seen.add(e); e = e.getCause()) {
      names.add(
          e.getClass().getName()
              + (e instanceof com.microsoft.kiota.ApiException a
                  ? "(" + a.getResponseStatusCode() + ")"
                  : ""));
    }
    return names;
  }

  static ProtocolEvent event() {
    return ProtocolEvent.newBuilder()
        .setEventId("e-1")
        .setSessionId("s-1")
        .setProtocol("taleus-listener")
        .setType("HooksComplete")
        .setPayload(new HashMap<>(Map.of("n", 1L)))
        .build();
  }

  /** Magic byte 0, 4-byte content id, Avro binary. */
  static byte[] record(int contentId, ProtocolEvent e) {
    byte[] avro = new PlainAvro.Ser().serialize(TOPIC, e);
    return ByteBuffer.allocate(5 + avro.length).put((byte) 0).putInt(contentId).put(avro).array();
  }

  interface Handler {
    void handle(HttpExchange ex) throws IOException;
  }

  /** An HTTP registry on 127.0.0.1 that records the paths it is asked for. */
  final class Registry {
    final HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();

    Registry(Handler handler) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          ex -> {
            requests.add(ex.getRequestURI().getPath());
            try {
              handler.handle(ex);
            } finally {
              ex.close();
            }
          });
      server.start();
      open.add(() -> server.stop(0));
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + V3;
    }
  }

  private Registry registry(Handler handler) throws IOException {
    return new Registry(handler);
  }

  /** A server that accepts connections and never reads or writes a byte. */
  final class Frozen {
    final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final AtomicInteger accepted = new AtomicInteger();
    final List<Socket> held = new CopyOnWriteArrayList<>();

    Frozen() throws IOException {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(socket.accept());
                    accepted.incrementAndGet();
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              },
              "frozen-registry");
      acceptor.setDaemon(true);
      acceptor.start();
      open.add(
          () -> {
            socket.close();
            for (Socket s : held) s.close();
          });
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + V3;
    }
  }

  private Frozen frozen() throws IOException {
    return new Frozen();
  }

  static void realRegistry(HttpExchange ex) throws IOException {
    realRegistry(ex, SCHEMA);
  }

  /** What Apicurio Registry 3.0.9 answers for content id 1, holding {@code schema}. */
  static void realRegistry(HttpExchange ex, String schema) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (path.equals(V3 + "/ids/contentIds/1")) {
      send(ex, 200, "application/octet-stream", schema);
    } else if (path.equals(V3 + "/ids/contentIds/1/references")) {
      send(ex, 200, "application/json", "[]");
    } else {
      problem(ex, 404, "ContentNotFoundException");
    }
  }

  static void problem(HttpExchange ex, int status, String name) throws IOException {
    send(
        ex,
        status,
        "application/json",
        "{\"detail\":\""
            + name
            + ": no\",\"title\":\"no\",\"status\":"
            + status
            + ",\"name\":\""
            + name
            + "\"}");
  }

  static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }
}
