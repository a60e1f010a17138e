package io.statewarden.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.engine.Migration;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.topology.MigrationRecords;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * {@code POST /migrations} (docs/decisions/0018): checks a migration against both loaded versions,
 * counts the sessions it selects through the session list ({@code GET /sessions} across all
 * instances), and, unless it is a dry run, hands it to the writer, which logs one signed migration
 * record to each partition of the events topic. The answer is 202 with the migration id and the
 * count: logged, not yet applied ({@code GET /migrations/{id}} tells how far it got). A dry run
 * answers 200 with, per session, the state it would land in, and the sessions that could not be
 * mapped, writing nothing. A migration that cannot start (a map naming a missing state, a live
 * state with no counterpart) is answered 400 naming the states, and nothing is written; so is one
 * whose record (every partition's, and each continuation, holds all its ids) would not fit under
 * {@code statewarden.max.record.bytes} and the producer's 1 MiB, less room for headers.
 *
 * <p>Body (JSON): {@code protocol}, {@code from}, {@code to} (versions), {@code reason} (required),
 * {@code map} (state of from to state of to), {@code states} (only sessions in these states),
 * {@code ids} (only these sessions), {@code operator}, {@code migrationId} (to retry a request
 * safely: the same id twice applies once), {@code chunkSize} (sessions per transaction, default
 * {@value #DEFAULT_CHUNK}), {@code dryRun}.
 */
final class MigrationRoute {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_BODY = 1024 * 1024;
  static final int DEFAULT_CHUNK = 500;
  static final int MAX_CHUNK = 10_000;
  static final int MAX_IDS = 10_000;
  private static final int MAX_TEXT = 1024;

  /** The producer's default {@code max.request.size}: no record can be larger. */
  static final int PRODUCER_MAX_BYTES = 1024 * 1024;

  /** Room left under the limit for the record's headers (signature, source) and framing. */
  static final int RECORD_MARGIN = 8 * 1024;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

  private final ProtocolCatalog catalog;
  private final BiFunction<Map<String, String>, Boolean, Answer> list;
  private final Consumer<Migration> writer;
  private final int maxRecordBytes;

  /**
   * @param list the session list ({@code SessionQuery::list})
   * @param writer logs the migration to every partition
   * @param maxRecordBytes {@code statewarden.max.record.bytes}
   */
  MigrationRoute(
      ProtocolCatalog catalog,
      BiFunction<Map<String, String>, Boolean, Answer> list,
      Consumer<Migration> writer,
      int maxRecordBytes) {
    this.catalog = catalog;
    this.list = list;
    this.writer = writer;
    this.maxRecordBytes = maxRecordBytes;
  }

  /**
   * @param authenticated the operator a personal token names, or null for the shared operator token
   *     (the body's {@code operator} then names who acts; decision 0019)
   */
  Answer handle(byte[] body, String authenticated) {
    JsonNode json;
    try {
      json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      return bad("the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (json == null || !json.isObject()) return bad("the body must be a JSON object");
    String name = text(json, "protocol");
    String reason = text(json, "reason");
    String operator = text(json, "operator");
    String id = text(json, "migrationId");
    if (name == null
        || !json.path("from").canConvertToInt()
        || !json.path("to").canConvertToInt()) {
      return bad("protocol, from and to (versions, whole numbers) are required");
    }
    if (reason == null || reason.isBlank())
      return bad("reason is required: say why (it is audited)");
    if (reason.length() > MAX_TEXT || (operator != null && operator.length() > MAX_TEXT)) {
      return bad("reason and operator are at most " + MAX_TEXT + " characters");
    }
    if (id != null && !ID.matcher(id).matches())
      return bad("migrationId must match " + ID.pattern());
    int chunk = json.path("chunkSize").asInt(DEFAULT_CHUNK);
    if (chunk < 1 || chunk > MAX_CHUNK) {
      return bad("chunkSize must be from 1 to " + MAX_CHUNK);
    }
    Map<String, String> map = new LinkedHashMap<>();
    if (json.has("map")) {
      if (!json.get("map").isObject()) return bad("map is an object: state of from to state of to");
      for (Map.Entry<String, JsonNode> e : json.get("map").properties()) {
        if (!e.getValue().isTextual()) return bad("map." + e.getKey() + " must be a state name");
        map.put(e.getKey(), e.getValue().asText());
      }
    }
    Optional<Set<String>> states = strings(json, "states");
    Optional<Set<String>> ids = strings(json, "ids");
    if (states.isEmpty() || ids.isEmpty()) return bad("states and ids are arrays of strings");
    if (ids.get().size() > MAX_IDS) return bad("ids holds at most " + MAX_IDS + " sessions");
    int from = json.get("from").asInt();
    int to = json.get("to").asInt();
    Optional<Protocol> pf = catalog.get(name, from);
    Optional<Protocol> pt = catalog.get(name, to);
    if (pf.isEmpty() || pt.isEmpty()) {
      return bad(
          "no protocol "
              + name
              + " v"
              + (pf.isEmpty() ? from : to)
              + " is loaded; both versions of a migration must be");
    }
    List<String> problems = Migration.problems(pf.get(), pt.get(), map, states.get());
    boolean dryRun = json.path("dryRun").asBoolean(false);
    if (!dryRun && !problems.isEmpty()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("error", "migration refused before it started: " + String.join("; ", problems));
      m.put("problems", problems);
      return new Answer(400, m);
    }
    Set<String> selected = new LinkedHashSet<>(Migration.selected(pf.get(), states.get()));
    // by id: a session that moved while the pages were read is listed again under its new state
    Map<String, Map<String, Object>> sessions = new LinkedHashMap<>();
    Map<String, Map<String, Object>> unmapped = new LinkedHashMap<>();
    String after = null;
    do {
      Map<String, String> q = new HashMap<>();
      q.put("protocol", name);
      q.put("active", "true");
      q.put("limit", String.valueOf(SessionList.MAX_LIMIT));
      if (after != null) q.put("after", after);
      Answer page = list.apply(q, false);
      if (page.status() != 200) return page;
      @SuppressWarnings("unchecked")
      Map<String, Object> b = (Map<String, Object>) page.body();
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> listed = (List<Map<String, Object>>) b.get("sessions");
      for (Map<String, Object> s : listed) {
        String state = (String) s.get("state");
        String sid = (String) s.get("sessionId");
        sessions.remove(sid);
        unmapped.remove(sid);
        if (((Number) s.get("protocolVersion")).intValue() != from
            || !selected.contains(state)
            || (!ids.get().isEmpty() && !ids.get().contains(sid))) {
          continue;
        }
        String target = map.getOrDefault(state, state);
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("sessionId", sid);
        v.put("state", state);
        if (pt.get().states().containsKey(target)) {
          v.put("to", target);
          sessions.put(sid, v);
        } else {
          v.put("problem", state + " is not a state of " + pt.get().id() + " and not in the map");
          unmapped.put(sid, v);
        }
      }
      after = (String) b.get("next");
    } while (after != null);
    String migrationId = id == null ? UUID.randomUUID().toString() : id;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("migrationId", migrationId);
    m.put("protocol", name);
    m.put("from", from);
    m.put("to", to);
    m.put("total", sessions.size());
    if (dryRun) {
      m.put("dryRun", true);
      m.put("sessions", List.copyOf(sessions.values()));
      m.put("unmapped", List.copyOf(unmapped.values()));
      m.put("problems", problems);
      return new Answer(200, m);
    }
    String who = authenticated != null ? authenticated : operator == null ? "operator" : operator;
    m.put("operator", who);
    Migration migration =
        new Migration(
            migrationId,
            who,
            reason,
            name,
            from,
            to,
            map,
            states.get(),
            ids.get(),
            sessions.size(),
            chunk,
            0,
            0,
            0,
            null);
    int limit = Math.min(maxRecordBytes, PRODUCER_MAX_BYTES) - RECORD_MARGIN;
    int size = recordBytes(migration);
    if (size > limit) {
      // every partition's record and continuation holds all of it: refused before any is written
      return bad(
          "the migration's record would be "
              + size
              + " bytes, over the "
              + limit
              + " a record may hold here (statewarden.max.record.bytes, less room for headers):"
              + " use fewer ids, or select sessions by state");
    }
    try {
      writer.accept(migration);
    } catch (io.statewarden.topology.CommandWriter.NotLogged e) {
      // logged with its cause by the writer; the id goes back so a retry applies once
      m.put("error", "not known to be logged: retry with the same migrationId");
      m.put("retry", true);
      return new Answer(503, m);
    }
    m.put(
        "status",
        "logged to every partition: GET /migrations/" + migrationId + " tells how far it got");
    return new Answer(202, m);
  }

  /** The encoded size of the record that carries {@code m} (the continuations' differ by bytes). */
  private static int recordBytes(Migration m) {
    try {
      return MigrationRecords.of(m.next(Integer.MAX_VALUE, Long.MAX_VALUE))
          .toByteBuffer()
          .remaining();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The strings of an array field; empty set when absent; empty optional when not strings. */
  private static Optional<Set<String>> strings(JsonNode json, String field) {
    Set<String> out = new LinkedHashSet<>();
    JsonNode n = json.get(field);
    if (n == null || n.isNull()) return Optional.of(out);
    if (!n.isArray()) return Optional.empty();
    for (JsonNode e : n) {
      if (!e.isTextual()) return Optional.empty();
      out.add(e.asText());
    }
    return Optional.of(out);
  }

  private static String text(JsonNode json, String field) {
    JsonNode n = json.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static Answer bad(String message) {
    return new Answer(400, Map.of("error", message));
  }
}
