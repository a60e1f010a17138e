package io.statewarden.topology;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before Kafka Streams starts: one request to the cluster, so that a wrong password, an unknown
 * user or a TLS trust failure stops the start at once with a clear message, rather than stream
 * threads failing and being replaced forever. A cluster that does not answer in time is only
 * logged: Kafka Streams keeps trying to reach it, as before.
 */
final class KafkaPreflight {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaPreflight.class);

  private KafkaPreflight() {}

  /**
   * @throws StartupException when the cluster refuses this client's credentials
   */
  static void check(Map<String, Object> kafka, Duration timeout) {
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
      LOG.warn("Kafka at {} did not answer the start-up check: {}", where, e.getCause().toString());
    } catch (TimeoutException e) {
      LOG.warn("Kafka at {} did not answer within {}; starting anyway", where, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("Interrupted while checking Kafka at " + where, e);
    }
  }
}
