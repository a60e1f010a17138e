package io.statewarden.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on 127.0.0.1 in front of one {@code host:port}, for tests that cut a dependency off
 * while a client keeps running. Its port is chosen once and kept for its life, so a client
 * configured with {@link #port()} reaches it again after an outage.
 *
 * <ul>
 *   <li>{@link Mode#FORWARD}: every new connection is connected to the target and bytes flow both
 *       ways.
 *   <li>{@link Mode#REFUSE}: the listening socket and every open connection are closed, so a new
 *       connect fails with "Connection refused" and an open one sees its peer go away (the target
 *       process died). Going back to {@code FORWARD} binds the same port again.
 *   <li>{@link Mode#FREEZE}: connections are still accepted and kept open, but no byte moves in
 *       either direction (what arrives is dropped), so a client without timeouts waits forever (the
 *       target hangs, or the network drops packets). A connection frozen once stays frozen until
 *       one side closes it, also after {@code FORWARD}: its far end is gone (a half-open
 *       connection), only new connections reach the target again.
 * </ul>
 *
 * <p>All threads are daemons; {@link #close()} closes every socket, which ends them.
 */
public final class TcpProxy implements AutoCloseable {
  /** What the proxy does with connections. */
  public enum Mode {
    FORWARD,
    REFUSE,
    FREEZE
  }

  private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int REBIND_ATTEMPTS = 50;
  private static final AtomicInteger IDS = new AtomicInteger();

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private Mode mode = Mode.FORWARD;
  private ServerSocket server;
  private Thread acceptor;
  private boolean closed;

  private TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = bind(0);
    this.port = server.getLocalPort();
    this.acceptor = startAccepting(server);
  }

  /**
   * Starts a proxy in {@link Mode#FORWARD} on an ephemeral port of 127.0.0.1.
   *
   * @param targetHost where connections go
   * @param targetPort the target's port
   * @return the running proxy
   */
  public static TcpProxy start(String targetHost, int targetPort) {
    try {
      return new TcpProxy(targetHost, targetPort);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Could not start a proxy to " + targetHost + ":" + targetPort, e);
    }
  }

  /** The proxy's port on 127.0.0.1, the same for its whole life. */
  public int port() {
    return port;
  }

  /** The current mode. */
  public synchronized Mode mode() {
    return mode;
  }

  /** Connections open now (client side), frozen ones included. */
  public int openConnections() {
    return connections.size();
  }

  /**
   * Switches the mode; returns once new connects see it (refused, frozen, or forwarded).
   *
   * @throws IllegalStateException when closed, or when the port cannot be bound again
   */
  public void set(Mode next) {
    Thread stopping = null;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("Expected an open proxy, but port " + port + " is closed");
      }
      if (next == mode) {
        return;
      }
      LOG.info("Proxy 127.0.0.1:{} -> {}:{}: {} -> {}", port, targetHost, targetPort, mode, next);
      switch (next) {
        case REFUSE -> {
          stopping = stopListening();
          connections.forEach(Connection::close);
        }
        case FREEZE -> {
          listenIfNot();
          connections.forEach(Connection::freeze);
        }
        case FORWARD -> listenIfNot();
      }
      mode = next;
    }
    awaitEnd(stopping); // outside the lock: the accept thread takes it for a connection in flight
  }

  @Override
  public void close() {
    Thread stopping;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      stopping = stopListening();
    }
    connections.forEach(Connection::close);
    awaitEnd(stopping);
  }

  private void listenIfNot() {
    if (server == null) {
      server = rebind();
      acceptor = startAccepting(server);
    }
  }

  /**
   * Closes the listener and returns its accept thread. The kernel keeps listening until that thread
   * has left {@code accept()} (closing a socket another thread is blocked on only signals that
   * thread), so a connect in between is still accepted: wait for the thread before saying that new
   * connects are refused.
   */
  private Thread stopListening() {
    closeQuietly(server);
    server = null;
    Thread stopping = acceptor;
    acceptor = null;
    return stopping;
  }

  private static void awaitEnd(Thread acceptThread) {
    if (acceptThread == null) {
      return;
    }
    try {
      acceptThread.join(CONNECT_TIMEOUT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted before new connects were refused", e);
    }
    if (acceptThread.isAlive()) {
      throw new IllegalStateException(
          "Expected " + acceptThread.getName() + " to end once its socket was closed");
    }
  }

  private ServerSocket rebind() {
    IOException last = null;
    for (int attempt = 0; attempt < REBIND_ATTEMPTS; attempt++) {
      try {
        return bind(port);
      } catch (IOException e) {
        last = e; // the old socket may still be going away
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new IllegalStateException("Could not bind 127.0.0.1:" + port + " again", last);
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    try {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(LOOPBACK, port), 50);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private Thread startAccepting(ServerSocket listener) {
    Thread t = daemon("tcp-proxy-" + port + "-accept", () -> accept(listener));
    t.start();
    return t;
  }

  private void accept(ServerSocket listener) {
    while (true) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // closed: REFUSE or close()
      }
      Mode now;
      synchronized (this) {
        now = listener == server ? mode : Mode.REFUSE;
      }
      if (now == Mode.REFUSE) {
        closeQuietly(client);
        continue;
      }
      Connection c = new Connection(client, now == Mode.FREEZE);
      connections.add(c);
      synchronized (this) {
        // a switch to REFUSE or FREEZE between the two looks above must see this one too
        if (closed || mode == Mode.REFUSE) {
          c.close();
          continue;
        }
        if (mode == Mode.FREEZE) {
          c.freeze();
        }
      }
      c.start();
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.debug("Could not close {}", c, e);
    }
  }

  /** One client connection and, unless it was born frozen, its connection to the target. */
  private final class Connection {
    private final int id = IDS.incrementAndGet();
    private final Socket client;
    private volatile Socket target;
    private volatile boolean frozen;
    private volatile boolean done;

    Connection(Socket client, boolean frozen) {
      this.client = client;
      this.frozen = frozen;
    }

    void start() {
      daemon("tcp-proxy-" + port + "-conn-" + id, this::run).start();
    }

    private void run() {
      if (!frozen) {
        try {
          Socket t = new Socket();
          t.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MS);
          target = t;
        } catch (IOException e) {
          LOG.debug("Proxy {} could not reach {}:{}", port, targetHost, targetPort, e);
          close();
          return;
        }
        if (done) {
          close(); // closed while connecting
          return;
        }
        Socket t = target;
        daemon("tcp-proxy-" + port + "-conn-" + id + "-down", () -> pump(t, client)).start();
      }
      pump(client, target);
    }

    /** Copies {@code from} to {@code to} while not frozen; drops the bytes while frozen. */
    private void pump(Socket from, Socket to) {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to == null ? null : to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (!frozen && out != null) {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (SocketException e) {
        // closed by the other pump, REFUSE or close()
      } catch (IOException e) {
        LOG.debug("Proxy {} connection {} failed", port, id, e);
      } finally {
        if (frozen && from == target) {
          closeQuietly(from); // the far end gave up; the client must not learn of it
        } else {
          close(); // a side left: end both
        }
      }
    }

    void freeze() {
      frozen = true;
    }

    void close() {
      done = true;
      connections.remove(this);
      closeQuietly(client);
      closeQuietly(target);
    }
  }
}
