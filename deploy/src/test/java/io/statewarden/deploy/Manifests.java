package io.statewarden.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The manifests under {@code deploy/k8s}, each YAML document read into the typed model of its kind
 * (fabric8 for Kubernetes and the Prometheus Operator, Strimzi's own {@code io.strimzi:api} for
 * Kafka, KafkaNodePool, KafkaTopic and KafkaUser). Those models keep unknown fields in {@code
 * additionalProperties} rather than refusing them, so after reading, every object in the tree is
 * walked and any non-empty {@code additionalProperties} is reported with its path: a misspelled or
 * misplaced field fails the test.
 */
final class Manifests {
  static final Path ROOT = findRoot();
  static final Path K8S = ROOT.resolve("deploy/k8s");

  static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

  static final Map<String, Class<?>> KINDS =
      Map.ofEntries(
          Map.entry("v1/Namespace", Namespace.class),
          Map.entry("v1/Service", Service.class),
          Map.entry("v1/ConfigMap", ConfigMap.class),
          Map.entry("apps/v1/Deployment", Deployment.class),
          Map.entry("apps/v1/StatefulSet", StatefulSet.class),
          Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
          Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
          Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
          Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
          Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
          Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class),
          Map.entry("kafka.strimzi.io/v1beta2/KafkaUser", KafkaUser.class));

  /** One YAML document of a manifest file. */
  record Doc(Path file, int index, JsonNode tree) {
    String kind() {
      return tree.path("apiVersion").asText() + "/" + tree.path("kind").asText();
    }

    String name() {
      return tree.path("metadata").path("name").asText();
    }

    @Override
    public String toString() {
      return ROOT.relativize(file) + "#" + index + " " + kind() + " " + name();
    }
  }

  private Manifests() {}

  private static Path findRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("deploy/k8s"))) p = p.getParent();
    if (p == null)
      throw new IllegalStateException("no deploy/k8s above " + Path.of("").toAbsolutePath());
    return p;
  }

  /** Every manifest file (YAML, kustomization files excluded), sorted. */
  static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.walk(K8S)) {
      return s.filter(f -> f.toString().endsWith(".yaml"))
          .filter(f -> !f.getFileName().toString().equals("kustomization.yaml"))
          .sorted()
          .toList();
    }
  }

  static List<Path> kustomizations() throws IOException {
    try (Stream<Path> s = Files.walk(K8S)) {
      return s.filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
          .sorted()
          .toList();
    }
  }

  static List<Doc> docs(Path file) throws IOException {
    List<Doc> out = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      var it = YAML.readValues(parser, JsonNode.class);
      int i = 0;
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !(n instanceof ObjectNode o && o.isEmpty())) {
          out.add(new Doc(file, i, n));
        }
        i++;
      }
    }
    return out;
  }

  static List<Doc> all() throws IOException {
    List<Doc> out = new ArrayList<>();
    for (Path f : files()) out.addAll(docs(f));
    return out;
  }

  /** Reads a document into its typed model. */
  static Object typed(Doc d) throws IOException {
    Class<?> type = KINDS.get(d.kind());
    if (type == null) throw new IllegalArgumentException(d + ": no typed model for " + d.kind());
    return YAML.treeToValue(d.tree(), type);
  }

  static <T> T typed(Doc d, Class<T> type) throws IOException {
    return type.cast(typed(d));
  }

  /** Paths of every unknown field kept in an additionalProperties map anywhere in the tree. */
  static List<String> unknownFields(Object root) {
    List<String> out = new ArrayList<>();
    walk(root, "", out, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    return out;
  }

  private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
    if (o == null || !seen.add(o)) return;
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) walk(e, path + "[" + i++ + "]", out, seen);
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, out, seen));
      return;
    }
    String pkg = o.getClass().getPackageName();
    if (!pkg.startsWith("io.fabric8") && !pkg.startsWith("io.strimzi")) return;
    for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) continue;
        Object v;
        try {
          f.setAccessible(true);
          v = f.get(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
          continue;
        }
        if (f.getName().equals("additionalProperties") && v instanceof Map<?, ?> extra) {
          extra.keySet().forEach(k -> out.add(path + "." + k));
        } else {
          walk(v, path + "." + f.getName(), out, seen);
        }
      }
    }
  }
}
