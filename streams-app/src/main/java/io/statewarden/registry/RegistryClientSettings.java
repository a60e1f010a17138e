package io.statewarden.registry;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.impl.VertxInternal;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Time limits for the Apicurio serdes' registry client, so that a registry that does not answer
 * costs one serde call seconds, not the stream thread's {@code max.poll.interval.ms}.
 *
 * <p><b>What Apicurio 3.1.7 offers, and what it lacks.</b> The serde configuration has no key for
 * an HTTP connect or request timeout. The client is a Kiota client over a Vert.x {@code WebClient}
 * (kiota-http-vertx; the JDK adapter is not on our classpath), built with Vert.x's defaults: a 60 s
 * connect timeout and no idle or request timeout; the adapter then waits on the response future
 * with no time limit. A registry that accepts the connection and never answers therefore blocks the
 * stream thread for good, until the group throws it out. The retry settings that exist do little:
 *
 * <ul>
 *   <li>{@value #RETRY_COUNT} / {@value #RETRY_BACKOFF_MS} (defaults 3 and 300 ms): the resolver's
 *       cache retries a failed schema lookup only when the failure's direct cause is a Kiota {@code
 *       ApiException} with status 429. The Vert.x adapter throws that exception itself, not as a
 *       cause, so in practice no lookup is retried (InputFailuresTest sees one request for a 429).
 *       They are set here anyway, small, so that the bound below holds if that changes.
 *   <li>The client's own retry (always on in 3.1.7: 3 retries, 250 ms doubling) retries only when
 *       the adapter's exception is itself a {@code ConnectException}, {@code
 *       SocketTimeoutException} or {@code HttpClosedException}; the Vert.x adapter wraps every
 *       transport failure in a {@code RuntimeException}, so it never fires either (one connection
 *       attempt for a refused connection, one for a frozen registry). No key reaches it.
 * </ul>
 *
 * <p><b>The narrowest working alternative.</b> The one client-side object the configuration can
 * carry is the Vert.x instance ({@value #VERTX_INSTANCE}), from which the client creates its HTTP
 * client. {@link #withDefaults} puts a shared Vert.x instance there that hands every HTTP client it
 * creates a {@link #CONNECT_TIMEOUT} connect timeout and a {@link #IDLE_TIMEOUT} idle timeout
 * (where the client's options left those at Vert.x's defaults): a connection on which nothing is
 * read or written for that long is closed, and the waiting request fails. It also pins {@value
 * #HTTP_ADAPTER} to {@code VERTX}, since only that adapter uses the instance. Everything else is
 * Vert.x's own: the instance is a dynamic proxy that forwards every call to a real Vert.x instance
 * (daemon threads, like Apicurio's default one) and only adjusts the options passed to {@code
 * createHttpClient}.
 *
 * <p><b>The resulting bound.</b> One HTTP request gives up after at most {@link #CONNECT_TIMEOUT} +
 * {@link #IDLE_TIMEOUT} of silence (15 s). A schema lookup makes at most two (the schema, then its
 * references) and is never retried after a timeout (see above; the resolver's retry is for a 429,
 * which is an answer, not a wait): about 30 s in the worst case, 10 s as measured for a frozen
 * registry (InputFailuresTest), at once for a refused connection, all well under the 300 s {@code
 * max.poll.interval.ms}. Each fails with an exception that {@link InputFailures#isRetriable}
 * classifies as retriable. Not bounded: a registry that keeps a response trickling, a byte every
 * few seconds, since the idle timer restarts with every byte.
 *
 * <p>Explicit settings win: a key already present is left alone, and a caller's own Vert.x instance
 * is used as it is (its HTTP clients get Vert.x's defaults, no timeouts).
 */
public final class RegistryClientSettings {
  public static final String VERTX_INSTANCE = SchemaResolverConfig.VERTX_INSTANCE;
  public static final String HTTP_ADAPTER = SchemaResolverConfig.HTTP_ADAPTER;
  public static final String RETRY_COUNT = SchemaResolverConfig.RETRY_COUNT;
  public static final String RETRY_BACKOFF_MS = SchemaResolverConfig.RETRY_BACKOFF_MS;

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
  static final long DEFAULT_RETRY_COUNT = 2;
  static final long DEFAULT_RETRY_BACKOFF_MS = 500;

  private RegistryClientSettings() {}

  /**
   * A copy of {@code serdeConfig} with the registry client's time limits added where absent.
   *
   * @return a new mutable map; the argument is not changed
   */
  public static Map<String, Object> withDefaults(Map<String, ?> serdeConfig) {
    Map<String, Object> c = new HashMap<>(serdeConfig);
    c.putIfAbsent(RETRY_COUNT, String.valueOf(DEFAULT_RETRY_COUNT));
    c.putIfAbsent(RETRY_BACKOFF_MS, String.valueOf(DEFAULT_RETRY_BACKOFF_MS));
    c.putIfAbsent(HTTP_ADAPTER, "VERTX");
    c.putIfAbsent(VERTX_INSTANCE, Shared.VERTX);
    return c;
  }

  /**
   * Created on first use and shared by every serde; never closed (its threads are daemons), and the
   * serdes do not close it either (Apicurio 3.1.7's resolver closes nothing of its client).
   */
  private static final class Shared {
    static final Vertx VERTX =
        withClientTimeouts(
            Vertx.vertx(new VertxOptions().setUseDaemonThread(true)),
            CONNECT_TIMEOUT,
            IDLE_TIMEOUT);
  }

  /**
   * {@code delegate}, except that the HTTP clients it creates get the given connect and idle
   * timeouts where their options leave them at Vert.x's defaults.
   */
  static Vertx withClientTimeouts(Vertx delegate, Duration connect, Duration idle) {
    InvocationHandler handler =
        (proxy, method, args) -> {
          if (method.getName().equals("equals") && args != null && args.length == 1) {
            return proxy == args[0];
          }
          if (method.getName().equals("hashCode") && args == null) {
            return System.identityHashCode(proxy);
          }
          if (method.getName().equals("createHttpClient")
              && args != null
              && args.length > 0
              && args[0] instanceof HttpClientOptions o) {
            args = args.clone();
            args[0] = bounded(o, connect, idle);
          }
          try {
            return method.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        };
    // VertxInternal too: Vert.x code may cast the instance it is given to it
    return (Vertx)
        Proxy.newProxyInstance(
            VertxInternal.class.getClassLoader(), new Class<?>[] {VertxInternal.class}, handler);
  }

  private static HttpClientOptions bounded(
      HttpClientOptions given, Duration connect, Duration idle) {
    HttpClientOptions o = new HttpClientOptions(given);
    if (o.getConnectTimeout() == HttpClientOptions.DEFAULT_CONNECT_TIMEOUT) {
      o.setConnectTimeout(Math.toIntExact(connect.toMillis()));
    }
    if (o.getIdleTimeout() == HttpClientOptions.DEFAULT_IDLE_TIMEOUT) {
      o.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
      o.setIdleTimeout(Math.toIntExact(idle.toMillis()));
    }
    return o;
  }
}
