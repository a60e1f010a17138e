package io.statewarden.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback port helpers for the embedded components. */
public final class Ports {
  private Ports() {}

  /**
   * Returns a port that was free on 127.0.0.1 a moment ago. Another process may take it before the
   * caller binds it, so callers retry with a fresh port when binding fails.
   */
  public static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("Could not find a free port on 127.0.0.1", e);
    }
  }

  /** Whether nothing listens on {@code port} at 127.0.0.1 right now. */
  public static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns {@code port}, or a free loopback port when it is 0. */
  static int orFree(int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("Expected a port in 0..65535, but got " + port);
    }
    return port == 0 ? freeLoopbackPort() : port;
  }
}
