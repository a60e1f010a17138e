package io.statewarden.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.statewarden.config.Topics;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** deploy/k8s: typed, strict parsing of every manifest and the invariants the docs promise. */
class ManifestsTest {
  @Test
  void shouldParseEveryManifestIntoItsTypedModelWithNoUnknownField() throws Exception {
    List<Manifests.Doc> docs = Manifests.all();
    assertThat(docs).hasSizeGreaterThan(15);
    Map<String, List<String>> problems = new TreeMap<>();
    for (Manifests.Doc d : docs) {
      assertThat(Manifests.KINDS).as("%s: a kind the test knows", d).containsKey(d.kind());
      List<String> unknown = Manifests.unknownFields(Manifests.typed(d));
      if (!unknown.isEmpty()) problems.put(d.toString(), unknown);
    }
    assertThat(problems).as("unknown fields").isEmpty();
  }

  @Test
  void shouldNoticeAMisspelledField() throws Exception {
    Path f = Files.createTempFile("bad", ".yaml");
    Files.writeString(
        f,
        """
        apiVersion: kafka.strimzi.io/v1beta2
        kind: KafkaTopic
        metadata: {name: t}
        spec:
          partitions: 3
          replica: 3
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: s}
        spec:
          template:
            spec:
              containers:
                - name: c
                  readinesProbe: {httpGet: {path: /, port: 1}}
        """);
    List<Manifests.Doc> docs = Manifests.docs(f);
    assertThat(Manifests.unknownFields(Manifests.typed(docs.get(0))))
        .containsExactly(".spec.replica");
    assertThat(Manifests.unknownFields(Manifests.typed(docs.get(1))))
        .containsExactly(".spec.template.spec.containers[0].readinesProbe");
    Files.writeString(f, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
    assertThatThrownBy(() -> Manifests.typed(Manifests.docs(f).get(0)))
        .hasMessageContaining("no typed model");
    Files.delete(f);
  }

  @Test
  void shouldDeclareEveryTopicReplicatedAndNeverCompacted() throws Exception {
    Map<String, KafkaTopic> topics =
        Manifests.all().stream()
            .filter(d -> d.kind().endsWith("/KafkaTopic"))
            .map(d -> uncheck(() -> Manifests.typed(d, KafkaTopic.class)))
            .collect(Collectors.toMap(t -> t.getSpec().getTopicName(), t -> t));
    assertThat(topics.keySet()).containsExactlyInAnyOrderElementsOf(Topics.DEFAULTS.all());
    Set<Integer> partitions = new HashSet<>();
    topics.forEach(
        (name, t) -> {
          assertThat(t.getSpec().getReplicas()).as(name).isEqualTo(3);
          Map<String, Object> config = t.getSpec().getConfig();
          assertThat(config).as(name).containsEntry("min.insync.replicas", 2);
          assertThat(config).as(name).containsEntry("cleanup.policy", "delete");
          assertThat(config).as(name).containsKey("retention.ms");
          partitions.add(t.getSpec().getPartitions());
        });
    assertThat(partitions).as("both inputs (and the outputs) share one partition count").hasSize(1);
    long year = 365L * 24 * 3600 * 1000;
    for (String longLived : List.of(Topics.DEFAULTS.transitions(), Topics.DEFAULTS.audit())) {
      assertThat(
              ((Number) topics.get(longLived).getSpec().getConfig().get("retention.ms"))
                  .longValue())
          .as(longLived)
          .isGreaterThanOrEqualTo(year);
    }
  }

  @Test
  void shouldGrantStatewardenExactlyWhatItUses() throws Exception {
    Map<String, KafkaUser> users =
        Manifests.all().stream()
            .filter(d -> d.kind().endsWith("/KafkaUser"))
            .map(d -> uncheck(() -> Manifests.typed(d, KafkaUser.class)))
            .collect(Collectors.toMap(u -> u.getMetadata().getName(), u -> u));
    Topics t = Topics.DEFAULTS;
    Map<String, Set<AclOperation>> app = topicGrants(users.get("statewarden"));
    assertThat(app)
        .containsEntry(
            t.events(), Set.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.WRITE))
        .containsEntry(t.eventsJson(), Set.of(AclOperation.READ, AclOperation.DESCRIBE));
    for (String out : List.of(t.transitions(), t.backouts(), t.audit())) {
      assertThat(app).containsEntry(out, Set.of(AclOperation.WRITE, AclOperation.DESCRIBE));
    }
    // the dead letters are also read back, the last few, by the console's dead-letters page
    assertThat(app)
        .containsEntry(
            t.dlq(), Set.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE));
    assertThat(app).containsKey("statewarden-*").hasSize(7);

    Map<String, Set<AclOperation>> producer = topicGrants(users.get("statewarden-producer"));
    assertThat(producer.keySet()).containsExactlyInAnyOrder(t.events(), t.eventsJson());
    producer.values().forEach(ops -> assertThat(ops).doesNotContain(AclOperation.READ));

    Map<String, Set<AclOperation>> consumer = topicGrants(users.get("statewarden-consumer"));
    assertThat(consumer.keySet()).containsExactlyInAnyOrder(t.transitions(), t.backouts());
    Map<String, Set<AclOperation>> auditor = topicGrants(users.get("statewarden-auditor"));
    assertThat(auditor.keySet()).contains(t.audit());
    for (var grants : List.of(consumer, auditor)) {
      grants
          .values()
          .forEach(ops -> assertThat(ops).containsOnly(AclOperation.READ, AclOperation.DESCRIBE));
    }
  }

  /** Topic name (prefixes end in '*') to the operations granted on it. */
  static Map<String, Set<AclOperation>> topicGrants(KafkaUser u) {
    Map<String, Set<AclOperation>> m = new TreeMap<>();
    for (AclRule r : ((KafkaUserAuthorizationSimple) u.getSpec().getAuthorization()).getAcls()) {
      if (r.getResource() instanceof AclRuleTopicResource tr) {
        String key =
            tr.getName() + (tr.getPatternType() == AclResourcePatternType.PREFIX ? "*" : "");
        m.computeIfAbsent(key, k -> new HashSet<>()).addAll(r.getOperations());
      }
    }
    return m;
  }

  @Test
  void shouldRunStatewardenAsAProbedStatefulSetWithTimeToShutDown() throws Exception {
    Manifests.Doc doc =
        Manifests.all().stream()
            .filter(
                d -> d.kind().equals("apps/v1/StatefulSet") && d.file().toString().contains("base"))
            .findFirst()
            .orElseThrow();
    StatefulSet s = Manifests.typed(doc, StatefulSet.class);
    var pod = s.getSpec().getTemplate().getSpec();
    assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(30);
    assertThat(pod.getAffinity().getPodAntiAffinity()).isNotNull();
    Container c = pod.getContainers().get(0);
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(c.getPorts().get(0).getContainerPort()).isEqualTo(8070);
    assertThat(s.getSpec().getVolumeClaimTemplates()).isNotEmpty();
    Map<String, String> env = new TreeMap<>();
    c.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    assertThat(env)
        .containsEntry("STATEWARDEN_HTTP_PORT", "8070")
        .containsKey("STATEWARDEN_HTTP_TOKEN_FILE")
        .containsKey("STATEWARDEN_HTTP_ADVERTISED_HOST");
    assertThat(env.get("STATEWARDEN_STATE_DIR"))
        .startsWith(
            c.getVolumeMounts().stream()
                .filter(m -> m.getName().equals("state"))
                .findFirst()
                .orElseThrow()
                .getMountPath());
    // secrets only by reference
    c.getEnv().stream()
        .filter(e -> e.getName().matches(".*(PASSWORD|JAAS|TOKEN)$"))
        .forEach(e -> assertThat(e.getValueFrom()).as(e.getName()).isNotNull());
  }

  @Test
  void shouldMountTheSigningKeySecretWhereTheSettingsPointInKubernetesAndCompose()
      throws Exception {
    // Kubernetes: both key files lie in the volume of the Secret statewarden-signing-key
    StatefulSet s =
        Manifests.typed(
            Manifests.all().stream()
                .filter(
                    d ->
                        d.kind().equals("apps/v1/StatefulSet")
                            && d.file().toString().contains("base"))
                .findFirst()
                .orElseThrow(),
            StatefulSet.class);
    var pod = s.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    Map<String, String> env = new TreeMap<>();
    c.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    var volume =
        pod.getVolumes().stream()
            .filter(
                v ->
                    v.getSecret() != null
                        && "statewarden-signing-key".equals(v.getSecret().getSecretName()))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("no volume of the Secret statewarden-signing-key"));
    String mount =
        c.getVolumeMounts().stream()
            .filter(m -> m.getName().equals(volume.getName()))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the signing key volume is not mounted"))
            .getMountPath();
    Map<String, String> paths = new TreeMap<>();
    volume.getSecret().getItems().forEach(i -> paths.put(i.getKey(), mount + "/" + i.getPath()));
    assertThat(env)
        .containsEntry("STATEWARDEN_SIGNING_KEY_FILE", paths.get("current"))
        .containsEntry("STATEWARDEN_SIGNING_PREVIOUS_KEYS_FILE", paths.get("previous"))
        .doesNotContainKey("STATEWARDEN_SIGNING_KEY");
    // compose: a secret from a file (docker-compose 1.29 has no environment secrets), mounted
    // where the setting points
    JsonNode compose =
        Manifests.YAML.readTree(Manifests.ROOT.resolve("deploy/compose.yaml").toFile());
    JsonNode sw = compose.path("services").path("statewarden");
    assertThat(sw.path("environment").path("STATEWARDEN_SIGNING_KEY_FILE").asText())
        .isEqualTo("/run/secrets/signing_key");
    assertThat(sw.path("secrets").toString()).contains("\"signing_key\"");
    assertThat(compose.path("secrets").path("signing_key").path("file").asText())
        .isEqualTo("${SECRETS_DIR:-./secrets}/signing_key");
  }

  @Test
  void shouldReferenceOnlyExistingFilesFromKustomizations() throws Exception {
    Set<String> allowed =
        Set.of(
            "apiVersion",
            "kind",
            "namespace",
            "resources",
            "images",
            "patches",
            "configMapGenerator");
    for (Path k : Manifests.kustomizations()) {
      JsonNode tree = Manifests.YAML.readTree(k.toFile());
      tree.fieldNames().forEachRemaining(f -> assertThat(allowed).as("%s: %s", k, f).contains(f));
      assertThat(tree.path("kind").asText()).isEqualTo("Kustomization");
      for (JsonNode r : tree.path("resources")) {
        assertThat(k.getParent().resolve(r.asText())).as("%s: %s", k, r).exists();
      }
      for (JsonNode p : tree.path("patches")) {
        assertThat(k.getParent().resolve(p.path("path").asText()))
            .as("%s: %s", k, p)
            .isRegularFile();
      }
      for (JsonNode g : tree.path("configMapGenerator")) {
        for (JsonNode f : g.path("files")) {
          assertThat(k.getParent().resolve(f.asText())).isRegularFile();
        }
      }
    }
  }

  @Test
  void shouldChartOnlyMetricsTheApiExposes() throws Exception {
    JsonNode dash =
        new ObjectMapper().readTree(Manifests.K8S.resolve("base/grafana-dashboard.json").toFile());
    Set<String> exposed =
        Set.of(
            "statewarden_events_total",
            "statewarden_transitions_total",
            "statewarden_deadline_lateness_seconds_bucket",
            "statewarden_deadlines_pending",
            "kafka_stream_thread_metrics_process_rate");
    Set<String> used = new HashSet<>();
    for (JsonNode p : dash.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        var m =
            java.util.regex.Pattern.compile("\\b(statewarden_\\w+|kafka_\\w+)")
                .matcher(t.path("expr").asText());
        while (m.find()) used.add(m.group(1));
      }
    }
    assertThat(exposed).containsAll(used);
    assertThat(used).containsAll(exposed);
  }

  interface Io<T> {
    T get() throws Exception;
  }

  static <T> T uncheck(Io<T> f) {
    try {
      return f.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
