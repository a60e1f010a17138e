package io.statewarden.config;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.config.SerdeConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The settings statewarden passes through and knows by name: Kafka Streams, its clients (also with
 * the prefixes Kafka Streams accepts), its internal topics ({@code topic.}), and the Apicurio
 * serdes. Used to refuse a {@code STATEWARDEN_*} variable that names none of them, and to suggest
 * the nearest name for a misspelt one.
 */
public final class KnownSettings {
  /** The prefixes Kafka Streams accepts in front of a client setting. */
  public static final List<String> CLIENT_PREFIXES =
      List.of(
          "producer.",
          "consumer.",
          "main.consumer.",
          "restore.consumer.",
          "global.consumer.",
          "admin.");

  private static final Set<String> PASS_THROUGH = passThroughKeys();

  private KnownSettings() {}

  /** Every non-statewarden key statewarden knows by name. */
  public static Set<String> passThrough() {
    return PASS_THROUGH;
  }

  private static Set<String> passThroughKeys() {
    Set<String> keys = new HashSet<>(StreamsConfig.configDef().names());
    Set<String> client = new HashSet<>();
    client.addAll(ProducerConfig.configNames());
    client.addAll(ConsumerConfig.configNames());
    client.addAll(AdminClientConfig.configNames());
    keys.addAll(client);
    for (String p : CLIENT_PREFIXES) client.forEach(k -> keys.add(p + k));
    try {
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
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot read the public setting names", e);
    }
    return Set.copyOf(keys);
  }

  /**
   * The candidate nearest to {@code name} by edit distance, or null when none is near enough to be
   * a likely misspelling (more than a third of the name's length away).
   */
  public static String nearest(String name, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(name, c);
      if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
        best = c;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
  }

  /** Levenshtein distance: insertions, deletions and substitutions, one each. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
