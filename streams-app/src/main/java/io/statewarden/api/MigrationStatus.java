package io.statewarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.state.MigrationProgress;
import io.statewarden.topology.TopologyFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /migrations/{id}}: a migration's progress (docs/decisions/0018). Each
 * partition keeps its own in the {@code migrations} store; the receiving instance reads the
 * partitions it owns, asks every other instance once for theirs (a forwarded request is answered
 * locally), and merges: {@code migrated} and {@code refused} summed, {@code done} once every
 * partition of the events topic is done, {@code total} as the request counted it. 404 while no
 * partition has read the migration yet; 503 while a partition has no queryable owner.
 */
final class MigrationStatus {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationStatus.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KafkaStreams streams;
  private final HostInfo self;
  private final String token;
  private final String eventsTopic;
  private final HttpClient http;

  MigrationStatus(
      KafkaStreams streams, HostInfo self, String token, String eventsTopic, HttpClient http) {
    this.streams = streams;
    this.self = self;
    this.token = token;
    this.eventsTopic = eventsTopic;
    this.http = http;
  }

  Answer answer(String id, boolean forwarded) {
    Map<Integer, MigrationProgress> parts = new TreeMap<>();
    int partitions;
    try {
      Map<HostInfo, Set<Integer>> owners = SessionList.owners(streams, eventsTopic);
      partitions = owners.values().stream().mapToInt(Set::size).sum();
      for (int p : owners.getOrDefault(self, Set.of())) {
        ReadOnlyKeyValueStore<String, byte[]> store =
            streams.store(
                StoreQueryParameters.fromNameAndType(
                        TopologyFactory.MIGRATIONS_STORE,
                        QueryableStoreTypes.<String, byte[]>keyValueStore())
                    .withPartition(p));
        MigrationProgress mp = MigrationProgress.decode(store.get(id));
        if (mp != null) parts.put(p, mp);
      }
      if (!forwarded) {
        for (HostInfo other : owners.keySet()) {
          if (other.equals(self)) continue;
          Map<Integer, MigrationProgress> theirs = ask(other, id);
          if (theirs == null) {
            return unavailable("an instance that owns some partitions did not answer");
          }
          parts.putAll(theirs);
        }
      }
    } catch (SessionList.Unavailable e) {
      return unavailable(e.getMessage());
    } catch (IllegalStateException | InvalidStateStoreException e) {
      LOG.debug("Migration progress not answerable now: {}", e.toString());
      return unavailable("a store is migrating or restoring");
    }
    if (parts.isEmpty()) {
      return new Answer(
          404, Map.of("error", "no partition has read migration " + id + " (yet)", "retry", true));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("migrationId", id);
    body.put("total", parts.values().iterator().next().total());
    body.put("migrated", parts.values().stream().mapToLong(MigrationProgress::migrated).sum());
    body.put("refused", parts.values().stream().mapToLong(MigrationProgress::refused).sum());
    long done = parts.values().stream().filter(MigrationProgress::done).count();
    body.put("failed", parts.values().stream().filter(MigrationProgress::failed).count());
    body.put("partitions", partitions);
    body.put("partitionsDone", done);
    body.put("done", done == partitions);
    Map<String, Object> each = new LinkedHashMap<>();
    parts.forEach(
        (p, mp) ->
            each.put(
                String.valueOf(p),
                Map.of(
                    "chunk", mp.chunk(),
                    "migrated", mp.migrated(),
                    "refused", mp.refused(),
                    "done", mp.done(),
                    "total", mp.total(),
                    "failed", mp.failed())));
    body.put("byPartition", each);
    return new Answer(200, body);
  }

  /** The other instance's partitions, or null when it did not answer 200 or 404. */
  private Map<Integer, MigrationProgress> ask(HostInfo other, String id) {
    try {
      HttpRequest.Builder r =
          HttpRequest.newBuilder(
                  URI.create(
                      "http://"
                          + other.host()
                          + ":"
                          + other.port()
                          + "/migrations/"
                          + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20")))
              .header(SessionQuery.FORWARDED, self.host() + ":" + self.port())
              .timeout(Duration.ofSeconds(5))
              .GET();
      if (token != null) r.header("Authorization", "Bearer " + token);
      HttpResponse<String> res = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
      Map<Integer, MigrationProgress> out = new TreeMap<>();
      if (res.statusCode() == 404) return out;
      if (res.statusCode() != 200) {
        LOG.info(
            "Migration progress from {}:{} answered {}", other, other.port(), res.statusCode());
        return null;
      }
      JsonNode by = JSON.readTree(res.body()).get("byPartition");
      for (Map.Entry<String, JsonNode> e : by.properties()) {
        JsonNode n = e.getValue();
        out.put(
            Integer.parseInt(e.getKey()),
            new MigrationProgress(
                n.get("chunk").asInt(),
                n.get("migrated").asLong(),
                n.get("refused").asLong(),
                n.get("done").asBoolean(),
                n.get("total").asLong(),
                n.path("failed").asBoolean(false)));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Asking {}:{} for migration {} failed: {}", other.host(), other.port(), id, e.toString());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static Answer unavailable(String why) {
    return new Answer(503, Map.of("error", "state not available yet: " + why, "retry", true));
  }
}
