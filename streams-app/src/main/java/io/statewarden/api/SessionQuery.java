package io.statewarden.api;

import io.statewarden.engine.Engine;
import io.statewarden.engine.Session;
import io.statewarden.state.SessionState;
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
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code GET /sessions/{id}}: from the local store when this instance owns the session's
 * partition, else by forwarding to the owner once; 404 for unknown ids; 503 while the partition is
 * moving or restoring (never a stale or made-up answer).
 */
public final class SessionQuery {
  private static final Logger LOG = LoggerFactory.getLogger(SessionQuery.class);

  /** The header of a request one instance forwards to another: answered from its own tasks only. */
  public static final String FORWARDED = "X-Statewarden-Forwarded";

  /** Status and JSON body. */
  public record Answer(int status, Object body) {}

  private final KafkaStreams streams;
  private final Engine engine;
  private final HostInfo self;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String token;
  private final String eventsTopic;

  /**
   * @param token the HTTP API bearer token, sent when forwarding to the owner; null for none
   */
  public SessionQuery(KafkaStreams streams, Engine engine, HostInfo self, String token) {
    this(streams, engine, self, token, io.statewarden.config.Topics.DEFAULTS.events());
  }

  /**
   * @param eventsTopic the events topic, whose partitions are the session stores' partitions
   */
  public SessionQuery(
      KafkaStreams streams, Engine engine, HostInfo self, String token, String eventsTopic) {
    this.streams = streams;
    this.engine = engine;
    this.self = self;
    this.token = token;
    this.eventsTopic = eventsTopic;
  }

  /** Answers {@code GET /sessions?...}: see {@link SessionList}. */
  public Answer list(Map<String, String> params, boolean forwarded) {
    return new SessionList(
            streams,
            self,
            token,
            eventsTopic,
            http,
            (protocol, version, state) ->
                engine
                    .catalog()
                    .get(protocol, version)
                    .map(p -> p.states().containsKey(state) && p.states().get(state).isFinal())
                    .orElse(false))
        .answer(params, forwarded);
  }

  /** Answers {@code GET /stats?scope=cluster} from this instance's {@code local} view. */
  Answer clusterStats(Map<String, Object> local) {
    return new ClusterStats(streams, self, token, http).answer(local);
  }

  /** Answers {@code GET /migrations/{id}}: see {@link MigrationStatus}. */
  public Answer migration(String id, boolean forwarded) {
    return new MigrationStatus(streams, self, token, eventsTopic, http).answer(id, forwarded);
  }

  /** The loaded protocols, for checking a migration before it is logged. */
  io.statewarden.protocol.ProtocolCatalog catalog() {
    return engine.catalog();
  }

  public Answer session(String id, boolean forwarded) {
    KeyQueryMetadata md;
    try {
      md =
          streams.queryMetadataForKey(
              TopologyFactory.SESSIONS_STORE, id, Serdes.String().serializer());
    } catch (IllegalStateException | InvalidStateStoreException e) {
      // not started yet (StreamsNotStartedException), or stopping
      return unavailable("the instance is not running (" + streams.state() + ")");
    }
    if (md == null || md == KeyQueryMetadata.NOT_AVAILABLE || md.activeHost() == null) {
      return unavailable("the session's partition has no owner right now (rebalancing)");
    }
    if (!md.activeHost().equals(self)) {
      return forwarded
          ? unavailable("the session's partition is moving")
          : forward(md.activeHost(), id);
    }
    try {
      ReadOnlyKeyValueStore<String, byte[]> store =
          streams.store(
              StoreQueryParameters.fromNameAndType(
                      TopologyFactory.SESSIONS_STORE,
                      QueryableStoreTypes.<String, byte[]>keyValueStore())
                  .withPartition(md.partition()));
      Session s = SessionState.of(store).get(id);
      // the last rejections of this id live in the same task, so on this instance too
      Object rejections = rejections(id, md.partition());
      if (s == null) {
        return new Answer(404, Map.of("error", "no session " + id, "rejections", rejections));
      }
      Map<String, Object> v = view(s);
      v.put("rejections", rejections);
      return new Answer(200, v);
    } catch (InvalidStateStoreException e) {
      LOG.debug("Session store not queryable for {}: {}", id, e.toString());
      return unavailable("the session store is migrating or restoring");
    }
  }

  /** The rejections kept for {@code id} (decision 0015), oldest first; empty without any. */
  private Object rejections(String id, int partition) {
    ReadOnlyKeyValueStore<String, byte[]> store =
        streams.store(
            StoreQueryParameters.fromNameAndType(
                    TopologyFactory.REJECTIONS_STORE,
                    QueryableStoreTypes.<String, byte[]>keyValueStore())
                .withPartition(partition));
    return TopologyFactory.rejections(store.get(id));
  }

  /** Asks the owner; its answer is relayed as is. Package-private for tests. */
  Answer forward(HostInfo owner, String id) {
    try {
      HttpRequest.Builder req =
          HttpRequest.newBuilder(
                  URI.create(
                      "http://"
                          + owner.host()
                          + ":"
                          + owner.port()
                          + "/sessions/"
                          + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20")))
              .header(FORWARDED, self.host() + ":" + self.port())
              .timeout(Duration.ofSeconds(5))
              .GET();
      if (token != null) {
        req.header("Authorization", "Bearer " + token);
      }
      HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(res.statusCode(), new RawJson(res.body()));
    } catch (IOException e) {
      // the owner's address and the failure go to the log, not to the client
      LOG.warn(
          "Forwarding the query for session {} to its owner {}:{} failed: {}",
          id,
          owner.host(),
          owner.port(),
          e.toString());
      return unavailable("the instance that owns the session did not answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unavailable("the instance is stopping");
    }
  }

  /** A body already in JSON, relayed as is. */
  public record RawJson(String json) {}

  /** 503: the reason in general terms, never an address or an exception (those are logged). */
  private static Answer unavailable(String why) {
    return new Answer(503, Map.of("error", "state not available yet: " + why, "retry", true));
  }

  /** A history entry with its cause; null fields for one kept before causes were (format 4). */
  private static Map<String, Object> step(Session.Step step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", step.state());
    m.put("trigger", step.trigger() == null ? null : step.trigger().name());
    m.put("eventId", step.eventId());
    m.put("eventType", step.eventType());
    m.put("at", step.at() == Session.NONE ? null : step.at());
    return m;
  }

  Map<String, Object> view(Session s) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("sessionId", s.id());
    v.put("protocol", s.protocol());
    v.put("protocolVersion", s.version());
    v.put("state", s.state());
    v.put("status", s.isFinal() ? s.outcome().name() : "ACTIVE");
    v.put("seq", s.seq());
    v.put("data", s.data());
    v.put("createdAt", s.createdAt());
    v.put("incarnation", s.incarnation());
    v.put("enteredAt", s.enteredAt());
    Map<String, Object> deadlines = new LinkedHashMap<>();
    deadlines.put("state", s.stateDeadline() == Session.NONE ? null : s.stateDeadline());
    deadlines.put("session", s.sessionDeadline() == Session.NONE ? null : s.sessionDeadline());
    if (s.isFinal()) {
      deadlines.put("purgeAt", engine.dueAt(s));
    }
    v.put("deadlines", deadlines);
    v.put("history", s.history());
    v.put("timeline", s.timeline().stream().map(SessionQuery::step).toList());
    v.put("answeredBy", self.host() + ":" + self.port());
    return v;
  }
}
