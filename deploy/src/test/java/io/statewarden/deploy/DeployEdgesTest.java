package io.statewarden.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.statewarden.config.StatewardenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deploy edges of issue 13: NetworkPolicies in front of statewarden's HTTP port, the registry
 * and Connect's REST API; the registry's authentication with statewarden's credentials from
 * Secrets; no password in a connector config.
 */
class DeployEdgesTest {
  static final String NAME = "app.kubernetes.io/name";

  /** Workload name (its pods' app.kubernetes.io/name) to its pod template, from the base. */
  static Map<String, PodTemplateSpec> workloads() throws Exception {
    Map<String, PodTemplateSpec> pods = new TreeMap<>();
    for (Manifests.Doc d : Manifests.all()) {
      if (!d.file().toString().contains("/base/")) continue;
      PodTemplateSpec t = null;
      if (d.kind().equals("apps/v1/StatefulSet")) {
        t = Manifests.typed(d, StatefulSet.class).getSpec().getTemplate();
      } else if (d.kind().equals("apps/v1/Deployment")) {
        t = Manifests.typed(d, Deployment.class).getSpec().getTemplate();
      }
      if (t != null) pods.put(t.getMetadata().getLabels().get(NAME), t);
    }
    return pods;
  }

  static List<NetworkPolicy> policies() throws Exception {
    List<NetworkPolicy> out = new ArrayList<>();
    for (Manifests.Doc d : Manifests.all()) {
      if (d.kind().equals("networking.k8s.io/v1/NetworkPolicy")) {
        out.add(Manifests.typed(d, NetworkPolicy.class));
      }
    }
    return out;
  }

  /** Whether a label selector (matchLabels only; matchExpressions are not used here) selects. */
  static boolean selects(LabelSelector s, Map<String, String> labels) {
    assertThat(s.getMatchExpressions()).as("matchExpressions are not checked here").isEmpty();
    Map<String, String> match = s.getMatchLabels() == null ? Map.of() : s.getMatchLabels();
    return match.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  /** Who may reach a pod, as "pod:NAME" or "namespace:LABEL=VALUE", each with the port. */
  static Set<String> allowedPeers(List<NetworkPolicy> policies, PodTemplateSpec pod) {
    Set<String> peers = new TreeSet<>();
    for (NetworkPolicy p : policies) {
      if (!selects(p.getSpec().getPodSelector(), pod.getMetadata().getLabels())) continue;
      assertThat(p.getSpec().getPolicyTypes()).as(p.getMetadata().getName()).contains("Ingress");
      for (NetworkPolicyIngressRule r : p.getSpec().getIngress()) {
        // an empty from or ports would let everyone in, or on every port
        assertThat(r.getFrom()).as("%s: from", p.getMetadata().getName()).isNotEmpty();
        assertThat(r.getPorts()).as("%s: ports", p.getMetadata().getName()).isNotEmpty();
        for (NetworkPolicyPeer peer : r.getFrom()) {
          assertThat(peer.getIpBlock()).isNull();
          String who;
          if (peer.getNamespaceSelector() != null) {
            assertThat(peer.getPodSelector()).isNull();
            who = "namespace:" + labels(peer.getNamespaceSelector());
          } else {
            who = "pod:" + peer.getPodSelector().getMatchLabels().get(NAME);
          }
          for (NetworkPolicyPort port : r.getPorts()) {
            assertThat(port.getProtocol()).isEqualTo("TCP");
            peers.add(who + "->" + port.getPort().getIntVal());
          }
        }
      }
    }
    return peers;
  }

  static String labels(LabelSelector s) {
    return new TreeMap<>(s.getMatchLabels()).toString().replaceAll("[{} ]", "");
  }

  static int containerPort(PodTemplateSpec pod) {
    return pod.getSpec().getContainers().get(0).getPorts().get(0).getContainerPort();
  }

  @Test
  void shouldDenyAllIngressByDefault() throws Exception {
    List<NetworkPolicy> denies =
        policies().stream()
            .filter(p -> selects(p.getSpec().getPodSelector(), Map.of("any", "pod")))
            .toList();

    assertThat(denies)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getSpec().getPolicyTypes()).containsExactly("Ingress");
              assertThat(p.getSpec().getIngress()).isEmpty();
            });
  }

  @Test
  void shouldLetOnlyTheNamedPeersReachEachPort() throws Exception {
    Map<String, PodTemplateSpec> pods = workloads();
    List<NetworkPolicy> policies = policies();
    assertThat(pods).containsOnlyKeys("statewarden", "apicurio-registry", "statewarden-connect");
    int http = containerPort(pods.get("statewarden"));
    int registry = containerPort(pods.get("apicurio-registry"));
    int connect = containerPort(pods.get("statewarden-connect"));
    assertThat(List.of(http, registry, connect)).containsExactly(8070, 8080, 8083);

    // statewarden's HTTP API: the other instances (forwarding) and the HTTP clients' namespaces
    assertThat(allowedPeers(policies, pods.get("statewarden")))
        .containsExactlyInAnyOrder(
            "pod:statewarden->" + http, "namespace:statewarden.io/http-clients=true->" + http);
    // the registry: statewarden, the Connect workers, the producers' and consumers' namespaces
    assertThat(allowedPeers(policies, pods.get("apicurio-registry")))
        .containsExactlyInAnyOrder(
            "pod:statewarden->" + registry,
            "pod:statewarden-connect->" + registry,
            "namespace:statewarden.io/registry-clients=true->" + registry);
    // Connect's REST API: the operators' namespaces and the other workers
    assertThat(allowedPeers(policies, pods.get("statewarden-connect")))
        .containsExactlyInAnyOrder(
            "pod:statewarden-connect->" + connect,
            "namespace:statewarden.io/connect-operators=true->" + connect);
  }

  static Map<String, EnvVar> env(Container c) {
    Map<String, EnvVar> m = new TreeMap<>();
    c.getEnv().forEach(e -> m.put(e.getName(), e));
    return m;
  }

  @Test
  void shouldAuthenticateStatewardenToTheRegistryWithCredentialsFromSecrets() throws Exception {
    Map<String, PodTemplateSpec> pods = workloads();
    Map<String, EnvVar> app = env(pods.get("statewarden").getSpec().getContainers().get(0));

    // the serde's OIDC client-credentials settings, each from a Secret or ConfigMap
    Map<String, String> serdeKeys =
        Map.of(
            "STATEWARDEN_APICURIO_REGISTRY_AUTH_CLIENT_ID", SchemaResolverConfig.AUTH_CLIENT_ID,
            "STATEWARDEN_APICURIO_REGISTRY_AUTH_CLIENT_SECRET",
                SchemaResolverConfig.AUTH_CLIENT_SECRET,
            "STATEWARDEN_APICURIO_REGISTRY_AUTH_SERVICE_TOKEN_ENDPOINT",
                SchemaResolverConfig.AUTH_TOKEN_ENDPOINT);
    serdeKeys.forEach(
        (variable, key) -> {
          assertThat(StatewardenConfig.fromEnvironment(Map.of(variable, "x")))
              .containsOnlyKeys(key);
          EnvVar e = app.get(variable);
          assertThat(e).as(variable).isNotNull();
          assertThat(e.getValue()).as(variable).isNull();
          assertThat(e.getValueFrom()).as(variable).isNotNull();
        });
    assertThat(app.get("STATEWARDEN_APICURIO_REGISTRY_AUTH_CLIENT_SECRET").getValueFrom())
        .satisfies(
            v -> {
              assertThat(v.getSecretKeyRef().getName()).isEqualTo("statewarden-registry-auth");
              assertThat(v.getSecretKeyRef().getOptional()).isNotEqualTo(Boolean.TRUE);
            });

    // the registry: OIDC on, roles from the token, nothing readable anonymously
    Map<String, EnvVar> reg = env(pods.get("apicurio-registry").getSpec().getContainers().get(0));
    assertThat(reg.get("QUARKUS_OIDC_TENANT_ENABLED").getValue()).isEqualTo("true");
    assertThat(reg.get("QUARKUS_OIDC_AUTH_SERVER_URL").getValueFrom().getConfigMapKeyRef())
        .isNotNull();
    assertThat(reg.get("APICURIO_AUTH_ROLE_BASED_AUTHORIZATION").getValue()).isEqualTo("true");
    assertThat(reg.get("APICURIO_AUTH_ROLE_SOURCE").getValue()).isEqualTo("token");
    assertThat(reg.get("APICURIO_AUTH_ANONYMOUS_READ_ACCESS_ENABLED").getValue())
        .isEqualTo("false");
    assertThat(reg.get("APICURIO_AUTH_AUTHENTICATED_READ_ACCESS_ENABLED").getValue())
        .isEqualTo("false");
  }

  static final Pattern SECRET_NAME = Pattern.compile("(?i)(password|secret)$");
  static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file|dir):(?:[^}:]*:)?([^}]+)}");

  /** Every connector config file of the project: connectors/config/*.json. */
  static List<Path> connectorFiles() throws Exception {
    try (Stream<Path> s = Files.list(Manifests.ROOT.resolve("connectors/config"))) {
      return s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void shouldKeepEveryPasswordOutOfTheConnectorConfigs() throws Exception {
    List<Path> files = connectorFiles();
    assertThat(files).hasSizeGreaterThanOrEqualTo(5);
    Set<String> referenced = new TreeSet<>();
    for (Path f : files) {
      JsonNode config = new ObjectMapper().readTree(f.toFile()).path("config");
      config
          .fields()
          .forEachRemaining(
              e -> {
                if (!SECRET_NAME.matcher(e.getKey()).find()) return;
                Matcher m = REFERENCE.matcher(e.getValue().asText());
                assertThat(m.matches())
                    .as("%s: %s must be a ${env:...} reference", f.getFileName(), e.getKey())
                    .isTrue();
                assertThat(m.group(1)).isEqualTo("env");
                referenced.add(m.group(2));
              });
    }
    assertThat(referenced)
        .containsExactlyInAnyOrder("STATEWARDEN_SINK_PASSWORD", "STATEWARDEN_OUTBOX_PASSWORD");

    // the Connect worker resolves them: the provider, allowed to read these names, and each
    // variable from a Secret
    Map<String, EnvVar> connect =
        env(workloads().get("statewarden-connect").getSpec().getContainers().get(0));
    assertThat(connect.get("CONNECT_CONFIG_PROVIDERS").getValue()).isEqualTo("env");
    assertThat(connect.get("CONNECT_CONFIG_PROVIDERS_ENV_CLASS").getValue())
        .isEqualTo("org.apache.kafka.common.config.provider.EnvVarConfigProvider");
    String allow = connect.get("CONNECT_CONFIG_PROVIDERS_ENV_PARAM_ALLOWLIST_PATTERN").getValue();
    for (String v : referenced) {
      assertThat(v).matches(allow);
      assertThat(connect.get(v).getValueFrom().getSecretKeyRef()).as(v).isNotNull();
    }
    assertThat("JAVA_HOME").doesNotMatch(allow);
  }

  @Test
  void shouldSetNoSecretLiterallyInAnyContainer() throws Exception {
    for (Manifests.Doc d : Manifests.all()) {
      for (JsonNode c : d.tree().path("spec").path("template").path("spec").path("containers")) {
        for (JsonNode e : c.path("env")) {
          if (SECRET_NAME.matcher(e.path("name").asText()).find()
              || e.path("name").asText().endsWith("JAAS_CONFIG")) {
            assertThat(e.has("value") && !e.path("value").asText().startsWith("$("))
                .as("%s: %s is set literally", d, e.path("name").asText())
                .isFalse();
          }
        }
      }
    }
  }

  /**
   * No Kafka user's prefix grant reaches another user's topics or groups: the statewarden user may
   * create and write every topic named {@code statewarden-*} (its Kafka Streams internal topics),
   * so Connect's config topic, which holds connector configs the workers act on, must not be so
   * named.
   */
  @org.junit.jupiter.api.Test
  void shouldKeepEachUsersPrefixGrantsOffTheOtherUsersTopicsAndGroups() throws Exception {
    // given every KafkaUser's ACLs
    Map<String, List<com.fasterxml.jackson.databind.JsonNode>> acls = new java.util.TreeMap<>();
    for (Manifests.Doc d : Manifests.all()) {
      if (d.kind().equals("kafka.strimzi.io/v1beta2/KafkaUser")) {
        List<com.fasterxml.jackson.databind.JsonNode> list = new ArrayList<>();
        d.tree().path("spec").path("authorization").path("acls").forEach(list::add);
        acls.put(d.name(), list);
      }
    }
    assertThat(acls).containsKeys("statewarden", "statewarden-connect");

    // then no user's prefixed resource covers a resource another user names
    List<String> overlaps = new ArrayList<>();
    acls.forEach(
        (user, own) ->
            own.stream()
                .filter(a -> a.path("resource").path("patternType").asText().equals("prefix"))
                .forEach(
                    prefix ->
                        acls.forEach(
                            (other, theirs) -> {
                              if (other.equals(user)) return;
                              for (var a : theirs) {
                                var r = a.path("resource");
                                if (r.path("type")
                                        .asText()
                                        .equals(prefix.path("resource").path("type").asText())
                                    && r.path("name")
                                        .asText()
                                        .startsWith(
                                            prefix.path("resource").path("name").asText())) {
                                  overlaps.add(
                                      user
                                          + "'s "
                                          + prefix.path("resource")
                                          + " covers "
                                          + other
                                          + "'s "
                                          + r);
                                }
                              }
                            })));
    assertThat(overlaps).isEmpty();
  }
}
