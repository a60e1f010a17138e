package io.statewarden.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.config.SerdeConfig;
import io.statewarden.config.StatewardenConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * Drift between the deployment files and the app: every {@code STATEWARDEN_*} variable they set
 * must map (by {@link StatewardenConfig#fromEnvironment}'s rules) to a key the app reads: a
 * declared {@code statewarden.*} key, a Kafka Streams / client / internal-topic key (with the
 * prefixes Kafka Streams accepts), or an Apicurio serde key.
 */
class EnvDriftTest {
  static final List<String> CLIENT_PREFIXES =
      List.of(
          "producer.",
          "consumer.",
          "main.consumer.",
          "restore.consumer.",
          "global.consumer.",
          "admin.");

  static Set<String> knownKeys() throws Exception {
    Set<String> keys = new HashSet<>(StatewardenConfig.DEF.names());
    keys.addAll(StreamsConfig.configDef().names());
    Set<String> client = new HashSet<>();
    client.addAll(ProducerConfig.configNames());
    client.addAll(ConsumerConfig.configNames());
    client.addAll(AdminClientConfig.configNames());
    keys.addAll(client);
    for (String p : CLIENT_PREFIXES) client.forEach(k -> keys.add(p + k));
    for (Field f : TopicConfig.class.getFields()) {
      if (f.getName().endsWith("_CONFIG") && f.getType() == String.class) {
        keys.add(StreamsConfig.TOPIC_PREFIX + f.get(null));
      }
    }
    for (Class<?> c : List.of(SchemaResolverConfig.class, SerdeConfig.class)) {
      for (Field f : c.getFields()) {
        if (Modifier.isStatic(f.getModifiers())
            && f.getType() == String.class
            && f.get(null) instanceof String s
            && s.startsWith("apicurio.")) {
          keys.add(s);
        }
      }
    }
    return keys;
  }

  /** Variable name to the key it sets, or to null when no key the app reads matches. */
  static Map<String, String> unmapped(Set<String> variables) throws Exception {
    Set<String> known = knownKeys();
    Map<String, String> bad = new TreeMap<>();
    for (String v : variables) {
      Map<String, String> m = StatewardenConfig.fromEnvironment(Map.of(v, "x"));
      assertThat(m).as(v).hasSize(1);
      String key = m.keySet().iterator().next();
      if (!known.contains(key)) bad.put(v, key);
    }
    return bad;
  }

  static Set<String> manifestVariables() throws Exception {
    Set<String> vars = new HashSet<>();
    for (Manifests.Doc d : Manifests.all()) {
      for (JsonNode c : d.tree().path("spec").path("template").path("spec").path("containers")) {
        // statewarden's own container; others (the Connect worker) name their secrets STATEWARDEN_*
        // too, but those are read by connector configs, not by the app
        if (!c.path("name").asText().equals("statewarden")) continue;
        for (JsonNode e : c.path("env")) vars.add(e.path("name").asText());
      }
    }
    vars.removeIf(v -> !v.startsWith("STATEWARDEN_"));
    return vars;
  }

  static Set<String> composeVariables() throws Exception {
    Path compose = Manifests.ROOT.resolve("deploy/compose.yaml");
    Set<String> vars = new HashSet<>();
    if (!Files.exists(compose)) return vars;
    {
      JsonNode service =
          Manifests.YAML.readTree(compose.toFile()).path("services").path("statewarden");
      JsonNode env = service.path("environment");
      if (env.isObject()) env.fieldNames().forEachRemaining(vars::add);
      for (JsonNode e : env) if (e.isTextual()) vars.add(e.asText().split("=", 2)[0]);
    }
    vars.removeIf(v -> !v.startsWith("STATEWARDEN_"));
    return vars;
  }

  @Test
  void shouldMapEveryManifestVariableToASettingTheAppReads() throws Exception {
    Set<String> vars = manifestVariables();
    assertThat(vars)
        .contains(
            "STATEWARDEN_BOOTSTRAP_SERVERS",
            "STATEWARDEN_SASL_JAAS_CONFIG",
            "STATEWARDEN_HTTP_TOKEN_FILE",
            "STATEWARDEN_APICURIO_REGISTRY_URL");
    assertThat(unmapped(vars)).isEmpty();
  }

  static Set<String> dockerfileVariables() throws Exception {
    Set<String> vars = new HashSet<>();
    var m =
        java.util.regex.Pattern.compile("\\b(STATEWARDEN_[A-Z0-9_]+)=")
            .matcher(Files.readString(Manifests.ROOT.resolve("deploy/Dockerfile")));
    while (m.find()) vars.add(m.group(1));
    return vars;
  }

  @Test
  void shouldMapEveryComposeVariableToASettingTheAppReads() throws Exception {
    Set<String> vars = composeVariables();
    assertThat(vars).contains("STATEWARDEN_BOOTSTRAP_SERVERS", "STATEWARDEN_HTTP_TOKEN_FILE");
    assertThat(unmapped(vars)).isEmpty();
  }

  @Test
  void shouldMapEveryDockerfileVariableToASettingTheAppReads() throws Exception {
    Set<String> vars = dockerfileVariables();
    assertThat(vars).contains("STATEWARDEN_STATE_DIR", "STATEWARDEN_HTTP_HOST");
    assertThat(unmapped(vars)).isEmpty();
  }

  @Test
  void shouldCatchAVariableNoSettingMatches() throws Exception {
    assertThat(
            unmapped(
                Set.of(
                    "STATEWARDEN_HTTP_TOKN",
                    "STATEWARDEN_BOOTSTRAP_SERVER",
                    "STATEWARDEN_APICURIO_REGISTRY_AUTO_REGISTER",
                    "STATEWARDEN_HTTP_TOKEN",
                    "STATEWARDEN_TOPIC_MIN_INSYNC_REPLICAS",
                    "STATEWARDEN_APICURIO_REGISTRY_AUTO__REGISTER")))
        .containsOnlyKeys(
            "STATEWARDEN_HTTP_TOKN",
            "STATEWARDEN_BOOTSTRAP_SERVER",
            "STATEWARDEN_APICURIO_REGISTRY_AUTO_REGISTER");
  }
}
