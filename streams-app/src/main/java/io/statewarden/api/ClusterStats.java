package io.statewarden.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /stats?scope=cluster}: this instance's {@link ConsoleStats} view and that of
 * every other instance of the application (from the streams metadata, each asked once for its own
 * plain {@code /stats}, as {@link SessionList} asks for sessions), summed: active sessions by
 * protocol and state, pending deadlines, lateness buckets, counter totals and their growth per
 * window, and fires per minute (a minute is a storm where it was one on any instance; its largest
 * lateness is the largest of any). All or nothing: 503 while an instance does not answer.
 */
final class ClusterStats {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterStats.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final KafkaStreams streams;
  private final HostInfo self;
  private final String token;
  private final HttpClient http;

  ClusterStats(KafkaStreams streams, HostInfo self, String token, HttpClient http) {
    this.streams = streams;
    this.self = self;
    this.token = token;
    this.http = http;
  }

  Answer answer(Map<String, Object> local) {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      return unavailable("the instance is not running (" + streams.state() + ")");
    }
    List<Map<String, Object>> views = new ArrayList<>();
    views.add(JSON.convertValue(local, MAP)); // the same types as the others' parsed answers
    for (StreamsMetadata md : streams.metadataForAllStreamsClients()) {
      if (md.hostInfo().equals(self)) continue;
      Map<String, Object> theirs = ask(md.hostInfo());
      if (theirs == null) return unavailable("an instance did not answer");
      views.add(theirs);
    }
    return new Answer(200, merge(views));
  }

  /** The other instance's own view, or null when it did not answer 200. */
  private Map<String, Object> ask(HostInfo other) {
    try {
      HttpRequest.Builder r =
          HttpRequest.newBuilder(
                  URI.create("http://" + other.host() + ":" + other.port() + "/stats"))
              .header(SessionQuery.FORWARDED, self.host() + ":" + self.port())
              .timeout(Duration.ofSeconds(5))
              .GET();
      if (token != null) r.header("Authorization", "Bearer " + token);
      HttpResponse<String> res = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) {
        LOG.info("Stats from {}:{} answered {}", other.host(), other.port(), res.statusCode());
        return null;
      }
      return JSON.readValue(res.body(), MAP);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Asking {}:{} for its stats failed: {}", other.host(), other.port(), e.toString());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The views summed; the first (this instance's) gives the time and the storm threshold. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> merge(List<Map<String, Object>> views) {
    Map<String, Object> first = views.get(0);
    Map<List<Object>, Long> active = new LinkedHashMap<>();
    Map<Object, Long> lateness = new LinkedHashMap<>();
    Map<String, Long> totals = new java.util.TreeMap<>();
    Map<Object, Map<String, Object>> windows = new LinkedHashMap<>();
    Map<Object, Map<String, Object>> minutes = new java.util.TreeMap<>();
    long pending = 0;
    for (Map<String, Object> v : views) {
      for (Map<String, Object> a : (List<Map<String, Object>>) v.get("active")) {
        active.merge(List.of(a.get("protocol"), a.get("state")), num(a.get("count")), Long::sum);
      }
      pending += num(v.get("pendingDeadlines"));
      for (Map<String, Object> b : (List<Map<String, Object>>) v.get("lateness")) {
        lateness.merge(String.valueOf(b.get("le")), num(b.get("count")), Long::sum);
      }
      ((Map<String, Object>) v.get("totals")).forEach((k, n) -> totals.merge(k, num(n), Long::sum));
      for (Map<String, Object> w : (List<Map<String, Object>>) v.get("windows")) {
        Map<String, Object> sum =
            windows.computeIfAbsent(
                num(w.get("minutes")),
                k -> new LinkedHashMap<>(Map.of("minutes", k, "seconds", w.get("seconds"))));
        // the window all instances cover: the shortest
        double seconds = ((Number) w.get("seconds")).doubleValue();
        sum.put("seconds", Math.min(seconds, ((Number) sum.get("seconds")).doubleValue()));
        Map<String, Long> deltas =
            (Map<String, Long>) sum.computeIfAbsent("deltas", k -> new java.util.TreeMap<>());
        ((Map<String, Object>) w.get("deltas"))
            .forEach((k, n) -> deltas.merge(k, num(n), Long::sum));
      }
      Map<String, Object> fires = (Map<String, Object>) v.get("fires");
      for (Map<String, Object> m : (List<Map<String, Object>>) fires.get("minutes")) {
        // this instance's hour: a minute another instance's clock puts outside it is left out
        Map<String, Object> sum =
            v == first
                ? minutes.computeIfAbsent(
                    num(m.get("start")),
                    k ->
                        new LinkedHashMap<>(
                            Map.of("start", k, "fired", 0L, "maxLatenessMs", 0L, "storm", false)))
                : minutes.get(num(m.get("start")));
        if (sum == null) continue;
        sum.put("fired", num(sum.get("fired")) + num(m.get("fired")));
        sum.put(
            "maxLatenessMs", Math.max(num(sum.get("maxLatenessMs")), num(m.get("maxLatenessMs"))));
        sum.put("storm", (Boolean) sum.get("storm") || Boolean.TRUE.equals(m.get("storm")));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("now", first.get("now"));
    out.put("scope", "cluster");
    out.put("instances", views.size());
    List<Map<String, Object>> activeList = new ArrayList<>();
    active.forEach(
        (k, n) -> activeList.add(Map.of("protocol", k.get(0), "state", k.get(1), "count", n)));
    out.put("active", activeList);
    out.put("pendingDeadlines", pending);
    List<Map<String, Object>> latenessList = new ArrayList<>();
    lateness.forEach((le, n) -> latenessList.add(Map.of("le", leValue(le), "count", n)));
    out.put("lateness", latenessList);
    out.put("totals", totals);
    out.put("windows", new ArrayList<>(windows.values()));
    out.put(
        "fires",
        Map.of(
            "stormFires",
            ((Map<String, Object>) first.get("fires")).get("stormFires"),
            "minutes",
            new ArrayList<>(minutes.values())));
    return out;
  }

  private static Object leValue(Object le) {
    String s = String.valueOf(le);
    return s.equals("+Inf") ? s : Double.valueOf(s);
  }

  private static long num(Object n) {
    return ((Number) n).longValue();
  }

  private static Answer unavailable(String why) {
    return new Answer(503, Map.of("error", "state not available yet: " + why, "retry", true));
  }
}
