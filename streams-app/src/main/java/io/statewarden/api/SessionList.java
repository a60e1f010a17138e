package io.statewarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.protocol.Durations;
import io.statewarden.state.SessionIndex;
import io.statewarden.state.SessionIndex.Cursor;
import io.statewarden.state.SessionIndex.Entry;
import io.statewarden.state.SessionIndex.Filter;
import io.statewarden.state.SessionIndex.FinalStates;
import io.statewarden.topology.TopologyFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /sessions?protocol=&state=&olderThan=&limit=&after=}: the sessions the filters
 * select, oldest entry into their state first (then by session id), a page at a time. The receiving
 * instance reads the list index ({@link SessionIndex}) of each partition it owns, asks every other
 * instance once for its own partitions (a forwarded request is answered locally, never forwarded
 * again), and merges: each answers its first {@code limit} entries after the cursor, so the first
 * {@code limit} of the merge are the page. The cursor ({@code next}) is the last entry's position,
 * so a page is stable under concurrent changes: a session listed once is not listed again unless it
 * re-entered a state since. All or nothing: 503 while any partition has no queryable owner.
 */
final class SessionList {
  private static final Logger LOG = LoggerFactory.getLogger(SessionList.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;

  /** The absolute time bound sent to the other instances, so all apply the same one. */
  static final String ENTERED_BEFORE = "enteredBefore";

  private final KafkaStreams streams;
  private final HostInfo self;
  private final String token;
  private final String eventsTopic;
  private final HttpClient http;
  private final FinalStates finals;

  /**
   * @param finals which states are final, for {@code active=true} (a state of a protocol version
   *     this instance does not know counts as live)
   */
  SessionList(
      KafkaStreams streams,
      HostInfo self,
      String token,
      String eventsTopic,
      HttpClient http,
      FinalStates finals) {
    this.streams = streams;
    this.self = self;
    this.token = token;
    this.eventsTopic = eventsTopic;
    this.http = http;
    this.finals = finals;
  }

  /** A bad parameter: answered 400 with this message. */
  static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  record Request(Filter filter, Cursor after, int limit) {}

  static Request parse(Map<String, String> params, long now, FinalStates finals) throws BadRequest {
    for (String k : params.keySet()) {
      if (!Set.of("protocol", "state", "olderThan", "limit", "after", "active", ENTERED_BEFORE)
          .contains(k)) {
        throw new BadRequest(
            "unknown parameter '"
                + k
                + "' (expected protocol, state, olderThan, limit, after, active)");
      }
    }
    Long before = null;
    if (params.get(ENTERED_BEFORE) != null) {
      try {
        before = Long.parseLong(params.get(ENTERED_BEFORE));
      } catch (NumberFormatException e) {
        throw new BadRequest(
            "enteredBefore must be epoch millis, got " + params.get(ENTERED_BEFORE));
      }
    } else if (params.get("olderThan") != null) {
      try {
        before = now - Durations.parse(params.get("olderThan")).toMillis();
      } catch (RuntimeException e) {
        throw new BadRequest(
            "olderThan must be a duration (30s, 10m, 6h, 7d, PT30S), got "
                + params.get("olderThan"));
      }
    }
    int limit = DEFAULT_LIMIT;
    if (params.get("limit") != null) {
      try {
        limit = Integer.parseInt(params.get("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new BadRequest(
            "limit must be an integer from 1 to " + MAX_LIMIT + ", got " + params.get("limit"));
      }
    }
    Cursor after = null;
    if (params.get("after") != null) {
      try {
        after = Cursor.parse(params.get("after"));
      } catch (IllegalArgumentException e) {
        throw new BadRequest("after: " + e.getMessage());
      }
    }
    String active = params.get("active");
    if (active != null && !active.equals("true") && !active.equals("false")) {
      throw new BadRequest("active must be true or false, got " + active);
    }
    return new Request(
        new Filter(
            blankToNull(params.get("protocol")),
            blankToNull(params.get("state")),
            before,
            "true".equals(active) ? finals : null),
        after,
        limit);
  }

  Answer answer(Map<String, String> params, boolean forwarded) {
    Request req;
    try {
      req = parse(params, System.currentTimeMillis(), finals);
    } catch (BadRequest e) {
      return new Answer(400, Map.of("error", e.getMessage()));
    }
    List<Entry> entries = new ArrayList<>();
    try {
      Map<HostInfo, Set<Integer>> owners = owners();
      Set<Integer> mine = owners.getOrDefault(self, Set.of());
      for (int p : mine) {
        ReadOnlyKeyValueStore<String, byte[]> store =
            streams.store(
                StoreQueryParameters.fromNameAndType(
                        TopologyFactory.SESSION_INDEX_STORE,
                        QueryableStoreTypes.<String, byte[]>keyValueStore())
                    .withPartition(p));
        entries.addAll(new SessionIndex(store).page(req.filter(), req.after(), req.limit()));
      }
      if (!forwarded) {
        for (HostInfo other : owners.keySet()) {
          if (other.equals(self)) continue;
          List<Entry> theirs = ask(other, req);
          if (theirs == null) {
            return unavailable("an instance that owns some sessions did not answer");
          }
          entries.addAll(theirs);
        }
      }
    } catch (Unavailable e) {
      return unavailable(e.getMessage());
    } catch (IllegalStateException | InvalidStateStoreException e) {
      LOG.debug("Session list not answerable now: {}", e.toString());
      return unavailable("a session store is migrating or restoring");
    }
    entries.sort(Entry.ORDER);
    List<Entry> page = entries.size() > req.limit() ? entries.subList(0, req.limit()) : entries;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sessions", page.stream().map(SessionList::view).toList());
    body.put("next", page.size() == req.limit() ? page.get(page.size() - 1).cursor() : null);
    return new Answer(200, body);
  }

  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  private Map<HostInfo, Set<Integer>> owners() throws Unavailable {
    return owners(streams, eventsTopic);
  }

  /** Which instance owns each partition of the events topic; every partition must have one. */
  static Map<HostInfo, Set<Integer>> owners(KafkaStreams streams, String eventsTopic)
      throws Unavailable {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      throw new Unavailable("the instance is not running (" + streams.state() + ")");
    }
    Map<HostInfo, Set<Integer>> owners = new LinkedHashMap<>();
    Set<Integer> covered = new TreeSet<>();
    for (StreamsMetadata md :
        streams.streamsMetadataForStore(TopologyFactory.SESSION_INDEX_STORE)) {
      Set<Integer> ps = new TreeSet<>();
      for (TopicPartition tp : md.topicPartitions()) {
        if (tp.topic().equals(eventsTopic)) ps.add(tp.partition());
      }
      if (!ps.isEmpty()) owners.put(md.hostInfo(), ps);
      covered.addAll(ps);
    }
    int max = covered.isEmpty() ? -1 : ((TreeSet<Integer>) covered).last();
    if (covered.isEmpty() || covered.size() != max + 1) {
      throw new Unavailable("some partitions have no owner right now (rebalancing)");
    }
    return owners;
  }

  /** The other instance's own entries, or null when it did not answer 200. */
  private List<Entry> ask(HostInfo other, Request req) {
    StringBuilder q = new StringBuilder("/sessions?limit=").append(req.limit());
    Filter f = req.filter();
    if (f.protocol() != null) q.append("&protocol=").append(enc(f.protocol()));
    if (f.state() != null) q.append("&state=").append(enc(f.state()));
    if (f.enteredBefore() != null) q.append("&" + ENTERED_BEFORE + "=").append(f.enteredBefore());
    if (f.finals() != null) q.append("&active=true");
    if (req.after() != null) {
      q.append("&after=")
          .append(
              enc(new Entry("", 0, "", req.after().enteredAt(), req.after().sessionId()).cursor()));
    }
    try {
      HttpRequest.Builder r =
          HttpRequest.newBuilder(URI.create("http://" + other.host() + ":" + other.port() + q))
              .header(SessionQuery.FORWARDED, self.host() + ":" + self.port())
              .timeout(Duration.ofSeconds(5))
              .GET();
      if (token != null) r.header("Authorization", "Bearer " + token);
      HttpResponse<String> res = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 200) {
        LOG.info(
            "Session list from {}:{} answered {}", other.host(), other.port(), res.statusCode());
        return null;
      }
      List<Entry> out = new ArrayList<>();
      for (JsonNode n : JSON.readTree(res.body()).get("sessions")) {
        out.add(
            new Entry(
                n.get("protocol").asText(),
                n.get("protocolVersion").asInt(),
                n.get("state").asText(),
                n.get("enteredAt").asLong(),
                n.get("sessionId").asText()));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "Asking {}:{} for its sessions failed: {}", other.host(), other.port(), e.toString());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static Map<String, Object> view(Entry e) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("sessionId", e.sessionId());
    v.put("protocol", e.protocol());
    v.put("protocolVersion", e.version());
    v.put("state", e.state());
    v.put("enteredAt", e.enteredAt());
    return v;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static Answer unavailable(String why) {
    return new Answer(503, Map.of("error", "state not available yet: " + why, "retry", true));
  }
}
