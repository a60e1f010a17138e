package io.statewarden.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.testsupport.TcpProxy.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TcpProxy} against a plain echo server: each mode as a client on a socket sees it. */
class TcpProxyTest {
  private static final int READ_TIMEOUT_MS = 500;

  private ServerSocket echo;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread c = new Thread(() -> echo(s), "echo-conn");
                  c.setDaemon(true);
                  c.start();
                } catch (IOException closed) {
                  return;
                }
              }
            },
            "echo-accept");
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stopEcho() throws IOException {
    echo.close();
  }

  @Test
  void shouldForwardBothWays() throws IOException {
    try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
        Socket s = connect(proxy.port())) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, "again")).isEqualTo("again");
    }
  }

  @Test
  void shouldRefuseNewAndDropOpenConnectionsThenServeTheSamePortAgain() throws IOException {
    try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort())) {
      // given
      int port = proxy.port();
      Socket open = connect(port);
      assertThat(roundTrip(open, "before")).isEqualTo("before");

      // when
      proxy.set(Mode.REFUSE);

      // then
      assertThatThrownBy(() -> connect(port).close())
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Connection refused");
      assertThat(readOrEnd(open)).as("the open connection sees its peer go").isEqualTo(-1);
      open.close();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);

      // and when
      proxy.set(Mode.FORWARD);

      // then
      assertThat(proxy.port()).isEqualTo(port);
      try (Socket again = connect(port)) {
        assertThat(roundTrip(again, "after")).isEqualTo("after");
      }
    }
  }

  /**
   * {@link TcpProxy#set} returns only once a new connect is refused. The listener is closed from
   * the test's thread while the proxy's accept thread is blocked in {@code accept()}; the kernel
   * keeps listening until that thread has left the call, so without waiting for it a connect right
   * after the switch can still be accepted (and then dropped), which a test cutting the registry
   * off took for a proxy that did not cut. Many switches in a row give that window many chances.
   */
  @Test
  void shouldRefuseTheFirstConnectAfterEverySwitch() throws IOException {
    try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort())) {
      int port = proxy.port();
      for (int i = 0; i < 300; i++) {
        // a round trip first: the (new) accept thread is then blocked in accept() again
        try (Socket s = connect(port)) {
          assertThat(roundTrip(s, "round " + i)).isEqualTo("round " + i);
        }
        proxy.set(Mode.REFUSE);
        int round = i;
        assertThatThrownBy(() -> connect(port).close())
            .as("the connect right after switch %d", round)
            .isInstanceOf(ConnectException.class)
            .hasMessageContaining("Connection refused");
        proxy.set(Mode.FORWARD);
      }
      try (Socket s = connect(port)) {
        assertThat(roundTrip(s, "after")).isEqualTo("after");
      }
    }
  }

  @Test
  void shouldFreezeOpenAndNewConnectionsAndKeepThemFrozenAfterForward() throws IOException {
    try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort())) {
      // given
      Socket open = connect(proxy.port());
      assertThat(roundTrip(open, "before")).isEqualTo("before");

      // when
      proxy.set(Mode.FREEZE);

      // then: connects succeed, but nothing comes back on old or new connections
      Socket fresh = connect(proxy.port());
      send(open, "lost");
      send(fresh, "lost");
      assertThatThrownBy(() -> open.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThatThrownBy(() -> fresh.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);

      // and when
      proxy.set(Mode.FORWARD);

      // then: new connections work; frozen ones stay open and silent (half-open)
      try (Socket after = connect(proxy.port())) {
        assertThat(roundTrip(after, "after")).isEqualTo("after");
      }
      send(open, "still lost");
      assertThatThrownBy(() -> open.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 2);

      // and: closing the client ends its frozen connection
      open.close();
      fresh.close();
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
    }
  }

  @Test
  void shouldReleaseThePortAndEndFrozenConnectionsOnClose() throws IOException {
    TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
    int port = proxy.port();
    proxy.set(Mode.FREEZE);
    Socket frozen = connect(port);

    proxy.close();

    assertThat(readOrEnd(frozen)).isEqualTo(-1);
    frozen.close();
    // refused; retried because on a busy machine a connect to a just-freed loopback port can
    // succeed for reasons that are not the proxy (a TCP self-connect when the kernel picks that
    // very port as the client's ephemeral port)
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              try (Socket s = connect(port)) {
                return false;
              } catch (ConnectException e) {
                return true;
              }
            });
    assertThatThrownBy(() -> proxy.set(Mode.FORWARD)).isInstanceOf(IllegalStateException.class);
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      s.setSoTimeout(READ_TIMEOUT_MS);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    send(s, text);
    byte[] want = text.getBytes(StandardCharsets.UTF_8);
    byte[] got = s.getInputStream().readNBytes(want.length);
    return new String(got, StandardCharsets.UTF_8);
  }

  /** The next byte, or -1 at the end of the stream or on a reset. */
  private static int readOrEnd(Socket s) throws IOException {
    try {
      return s.getInputStream().read();
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException reset) {
      return -1;
    }
  }

  private static void echo(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the client left
    }
  }
}
