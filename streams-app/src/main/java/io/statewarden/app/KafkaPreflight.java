package io.statewarden.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.ClientDnsLookup;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before Kafka Streams starts: first a plain TCP connection to the bootstrap servers (no Kafka
 * client yet, so a broker that is down costs no screenful of client warnings), then one request to
 * the cluster, so that a wrong password, an unknown user or a TLS trust failure stops the start at
 * once with a clear message, rather than stream threads failing and being replaced forever. A
 * cluster that does not answer within the time given stops the start too ({@link
 * StartupException#unreachable()}); an orchestrator restarts the process.
 */
final class KafkaPreflight {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaPreflight.class);

  private KafkaPreflight() {}

  /**
   * @throws StartupException when the cluster refuses this client's credentials, or does not answer
   *     within {@code timeout}
   * @throws org.apache.kafka.common.config.ConfigException when {@code bootstrap.servers} is not a
   *     list of HOST:PORT
   */
  static void check(Map<String, Object> kafka, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    awaitTcp(kafka, deadline, timeout);
    timeout = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000_000L));
    Map<String, Object> admin = new HashMap<>();
    kafka.forEach(
        (k, v) -> {
          if (AdminClientConfig.configNames().contains(k)) admin.put(k, v);
        });
    admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "statewarden-preflight");
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    String where = String.valueOf(kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
    try (Admin a = Admin.create(admin)) {
      a.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .clusterId()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthenticationException auth) {
        throw new StartupException(
            "Kafka at "
                + where
                + " refused to authenticate this client ("
                + CommonClientConfigs.SECURITY_PROTOCOL_CONFIG
                + "="
                + kafka.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT")
                + ", "
                + SaslConfigs.SASL_MECHANISM
                + "="
                + kafka.getOrDefault(SaslConfigs.SASL_MECHANISM, SaslConfigs.DEFAULT_SASL_MECHANISM)
                + "): "
                + auth.getMessage()
                + ". Check the user and password in sasl.jaas.config and the TLS trust settings.",
            auth);
      }
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw notAnswering(kafka, where, timeout, e.getCause());
      }
      LOG.warn("Kafka at {} did not answer the start-up check: {}", where, e.getCause().toString());
    } catch (TimeoutException e) {
      throw notAnswering(kafka, where, timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while checking Kafka at " + where, e);
    }
  }

  private static StartupException notAnswering(
      Map<String, Object> kafka, String where, Duration timeout, Throwable cause) {
    return StartupException.unreachable(
        "Kafka at "
            + where
            + " accepted a connection but did not answer within "
            + seconds(timeout)
            + "; check that "
            + CommonClientConfigs.SECURITY_PROTOCOL_CONFIG
            + " ("
            + kafka.getOrDefault(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "PLAINTEXT")
            + ") matches the broker's listener",
        cause);
  }

  /** Waits until one bootstrap server accepts a TCP connection; quiet, no Kafka client involved. */
  private static void awaitTcp(Map<String, Object> kafka, long deadline, Duration timeout) {
    Object servers = kafka.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    List<String> urls =
        servers instanceof List<?> l
            ? l.stream().map(String::valueOf).toList()
            : Arrays.stream(String.valueOf(servers).split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    String last = null;
    while (true) {
      List<InetSocketAddress> addresses;
      try {
        addresses = ClientUtils.parseAndValidateAddresses(urls, ClientDnsLookup.USE_ALL_DNS_IPS);
      } catch (ConfigException e) {
        // a malformed address is a setting to fix; a host name not (yet) in DNS may come
        if (!String.valueOf(e.getMessage()).contains("resolvable")) throw e;
        addresses = List.of();
        last = "no host name resolves";
      }
      for (InetSocketAddress a : addresses) {
        InetSocketAddress resolved =
            a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
        if (resolved.isUnresolved()) {
          last = "unknown host " + a.getHostString();
          continue;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        try (Socket s = new Socket()) {
          s.connect(resolved, (int) Math.max(1, Math.min(left, 2000)));
          return;
        } catch (IOException e) {
          if (e instanceof java.net.SocketTimeoutException) {
            // a last try cut short by the deadline does not hide why the earlier ones failed
            last = last == null ? "no answer" : last;
          } else {
            last =
                e instanceof java.net.ConnectException
                    ? "connection refused"
                    : String.valueOf(e.getMessage());
          }
        }
      }
      if (System.nanoTime() >= deadline) {
        throw StartupException.unreachable(
            "no Kafka broker answered at "
                + String.join(",", urls)
                + " ("
                + CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG
                + ") within "
                + seconds(timeout)
                + ": "
                + (last == null ? "no answer" : last),
            null);
      }
      try {
        Thread.sleep(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("Interrupted while waiting for Kafka", e);
      }
    }
  }

  /** {@code d} in seconds, for messages: "30 s", "2.5 s". */
  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : (d.toMillis() / 1000.0) + " s";
  }
}
