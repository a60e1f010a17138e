package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.metrics.Metrics;
import io.statewarden.protocol.ProtocolCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real HTTP server against clients that hold connections without finishing a request: the
 * health checks keep answering, the slow connections are cut after the read limit, and the number
 * of connections is bounded. Kafka Streams is created but never started (no broker is needed), so
 * {@code /health/ready} answers 503, promptly.
 */
class HttpApiLimitsTest {
  static final int SLOW = 50;

  @TempDir Path dir;

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  final List<AutoCloseable> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = opened.size() - 1; i >= 0; i--) opened.get(i).close();
  }

  HttpApi start(Duration readTimeout, int maxConnections) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "http-limits");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
    StreamsBuilder b = new StreamsBuilder();
    b.stream("in");
    KafkaStreams streams = new KafkaStreams(b.build(), p);
    opened.add(streams);
    HttpApi api =
        new HttpApi("127.0.0.1", 0, null, new HttpApi.Limits(readTimeout, maxConnections));
    opened.add(api);
    ProtocolCatalog catalog = ProtocolCatalog.load(List.of());
    api.start(
        streams,
        catalog,
        new SessionQuery(
            streams,
            new Engine(catalog, EngineConfig.DEFAULTS),
            new HostInfo("127.0.0.1", api.port()),
            null),
        new Metrics());
    return api;
  }

  /** GET, giving up after one second. */
  HttpResponse<String> get(HttpApi api, String path) throws Exception {
    return get(api, path, Duration.ofSeconds(1));
  }

  HttpResponse<String> get(HttpApi api, String path, Duration timeout) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .timeout(timeout)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  Socket connect(HttpApi api) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), api.port());
    opened.add(s);
    return s;
  }

  /** Waits for the end of the stream; what the server sent before it, if anything. */
  static String readToEnd(Socket s, Duration atMost) throws IOException {
    s.setSoTimeout((int) atMost.toMillis());
    StringBuilder got = new StringBuilder();
    InputStream in = s.getInputStream();
    try {
      for (int c = in.read(); c >= 0; c = in.read()) got.append((char) c);
    } catch (SocketException reset) {
      // closed by the server while our bytes were unread there: a reset is an end too
    }
    return got.toString();
  }

  @Test
  void shouldAnswerHealthChecksWithinASecondWhileFiftyClientsTrickleAndCutThemAtTheReadLimit()
      throws Exception {
    // given 50 connections that never finish a request: 40 trickle header bytes, 10 send nothing
    Duration limit = Duration.ofSeconds(4);
    HttpApi api = start(limit, 100);
    // (the first requests load classes: not what is measured)
    for (int i = 0; i < 3; i++) {
      probe(api, "/health/live", Duration.ofSeconds(30));
      probe(api, "/health/ready", Duration.ofSeconds(30));
    }
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openConnections() == 0);
    List<Socket> slow = new ArrayList<>();
    List<Long> connectedAt = new ArrayList<>();
    for (int i = 0; i < SLOW; i++) {
      connectedAt.add(System.nanoTime());
      Socket s = connect(api);
      if (i < 40) {
        s.getOutputStream()
            .write(
                "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: "
                    .getBytes(StandardCharsets.UTF_8));
      }
      slow.add(s);
    }
    Thread trickle =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                for (Socket s : slow.subList(0, 40)) {
                  try {
                    OutputStream out = s.getOutputStream();
                    out.write('a');
                    out.flush();
                  } catch (IOException cut) {
                    // the server closed it: nothing more to send there
                  }
                }
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "trickle");
    trickle.start();
    try {
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openConnections() == SLOW);

      // when the health checks are asked, again and again, while the server holds all 50
      for (int round = 0; round < 5; round++) {
        for (String path : List.of("/health/live", "/health/ready")) {
          assertThat(api.openConnections())
              .as("the slow clients are still connected")
              .isGreaterThanOrEqualTo(SLOW);
          long began = System.nanoTime();
          // then each answers within one second (the probe gives up after one)
          String r = probe(api, path, Duration.ofSeconds(1));
          assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(1));
          assertThat(r)
              .as(path)
              .startsWith(path.endsWith("live") ? "HTTP/1.1 200" : "HTTP/1.1 503");
        }
      }

      // and each slow connection is closed once the read limit has passed, unanswered
      for (int i = 0; i < SLOW; i++) {
        String answer = readToEnd(slow.get(i), limit.plusSeconds(10));
        Duration held = Duration.ofNanos(System.nanoTime() - connectedAt.get(i));
        assertThat(answer).as("connection %d got an answer", i).isEmpty();
        assertThat(held).as("connection %d", i).isBetween(limit, limit.plusSeconds(3));
      }
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openConnections() == 0);
    } finally {
      trickle.interrupt();
      trickle.join();
    }
  }

  @Test
  void shouldCloseConnectionsPastTheLimitAndServeOnceOneIsFree() throws Exception {
    // given three connections held open, the most allowed
    HttpApi api = start(Duration.ofSeconds(30), 3);
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) held.add(connect(api));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openConnections() == 3);

    // when a fourth connects and asks
    Socket fourth = connect(api);
    fourth.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());

    // then it is closed unanswered, at once
    assertThat(readToEnd(fourth, Duration.ofSeconds(5))).isEmpty();
    assertThat(api.openConnections()).isEqualTo(3);

    // and once one of the three leaves, a client is served again
    held.get(0).close();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> api.openConnections() == 2);
    assertThat(get(api, "/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void shouldGiveEachRequestOnAKeptAliveConnectionTheWholeLimitThenCloseTheIdleConnection()
      throws Exception {
    // given a limit of one second
    Duration limit = Duration.ofSeconds(1);
    HttpApi api = start(limit, 10);
    Socket s = connect(api);
    s.setSoTimeout(5_000);
    long began = System.nanoTime();

    // when one connection asks three times, 700 ms apart: 1.4 s in all, each request in time
    for (int i = 0; i < 3; i++) {
      if (i > 0) Thread.sleep(700);
      s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      // then each is answered
      assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("\"UP\"}");
    }
    assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThan(limit);

    // and the connection, idle afterwards, is closed after the limit
    long idleFrom = System.nanoTime();
    assertThat(readToEnd(s, Duration.ofSeconds(10))).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - idleFrom))
        .isGreaterThanOrEqualTo(limit.minusMillis(100));
  }

  /** One GET of {@code path} exactly as given. */
  String raw(HttpApi api, String path) throws IOException {
    return probe(api, path, Duration.ofSeconds(5));
  }

  /**
   * One GET on a connection of its own, closed after the answer, as the kubelet probes: the
   * response, or a {@link java.net.SocketTimeoutException} when none comes within {@code atMost}.
   */
  String probe(HttpApi api, String path, Duration atMost) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), api.port())) {
      s.setSoTimeout((int) atMost.toMillis());
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.UTF_8));
      return readResponse(s.getInputStream());
    }
  }

  /** One response with a Content-Length body, read without closing. */
  static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) throw new IOException("closed after " + head);
      head.append((char) c);
    }
    String h = head.toString().toLowerCase();
    int at = h.indexOf("content-length:") + "content-length:".length();
    int length = Integer.parseInt(h.substring(at, h.indexOf("\r\n", at)).strip());
    byte[] body = in.readNBytes(length);
    return head + new String(body, StandardCharsets.UTF_8);
  }

  @Test
  void shouldAnswer503WithoutAddressesOrExceptionsAndDecodeIdsAsPathSegments() throws Exception {
    HttpApi api = start(Duration.ofSeconds(10), 10);

    // a session asked before the stream threads run: 503, in general terms
    HttpResponse<String> notRunning = get(api, "/sessions/a%2Bb");
    assertThat(notRunning.statusCode()).isEqualTo(503);
    assertThat(notRunning.body())
        .contains("\"retry\":true")
        .doesNotContain("Exception")
        .doesNotContain("127.0.0.1");

    // forwarding to an owner that does not answer: the address and the failure are not shown
    int closed;
    try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = ss.getLocalPort();
    }
    SessionQuery query =
        new SessionQuery(
            null, null, new HostInfo("127.0.0.1", api.port()), null); // forward() reads neither
    SessionQuery.Answer a = query.forward(new HostInfo("127.0.0.1", closed), "s1");
    assertThat(a.status()).isEqualTo(503);
    assertThat(a.body().toString())
        .contains("did not answer")
        .doesNotContain(String.valueOf(closed))
        .doesNotContain("127.0.0.1")
        .doesNotContain("Exception");

    // ids that are not one well-formed segment
    // (sent raw: java.net.URI refuses to build the first)
    assertThat(raw(api, "/sessions/a%zz")).startsWith("HTTP/1.1 400").contains("two hex digits");
    assertThat(get(api, "/sessions/a%C3").statusCode()).isEqualTo(400);
    assertThat(get(api, "/sessions/a/b").statusCode()).isEqualTo(404);
  }

  @Test
  void shouldNotAnswerBeforeTheStreamsAreThere() throws Exception {
    // given a server bound but not started
    HttpApi api = new HttpApi("127.0.0.1", 0, null, new HttpApi.Limits(Duration.ofSeconds(5), 5));
    opened.add(api);

    // then everything is 503 "starting"
    HttpResponse<String> r = get(api, "/sessions/x");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("starting");
  }
}
