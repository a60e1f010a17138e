package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** statewarden end to end on a real broker and a real Apicurio Registry. */
@ExtendWith(RealKafka.class)
class StatewardenIT {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String L = "taleus-listener";

  @TempDir Path dir;

  static void assertGaplessAndUnique(List<Transition> ts) {
    Map<String, List<Long>> seqs =
        ts.stream()
            .collect(
                Collectors.groupingBy(
                    Transition::getSessionId,
                    Collectors.mapping(Transition::getSeq, Collectors.toList())));
    seqs.forEach(
        (id, list) ->
            assertThat(list)
                .as("seq of %s", id)
                .containsExactlyElementsOf(
                    Stream.iterate(1L, i -> i + 1).limit(list.size()).toList()));
  }

  @Test
  void shouldProcessAvroAndJsonEventsAndFireDeadlineWithNoFurtherInput(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3)) {
      d.start();
      long now = System.currentTimeMillis();
      // given: a foil listener over Avro, a stock listener over JSON, and one that stalls
      d.sendAvro("avro-1", Deployment.event("avro-1", "a1", L, "InboundContact", Map.of()), now);
      d.sendAvro(
          "avro-1",
          Deployment.event("avro-1", "a2", L, "HooksComplete", Map.of("role", "foil")),
          now + 1);
      d.sendAvro("avro-1", Deployment.event("avro-1", "a3", L, "ResponseSent", Map.of()), now + 2);
      d.sendAvro(
          "avro-1", Deployment.event("avro-1", "a4", L, "DatabaseResult", Map.of()), now + 3);
      d.sendJson("json-1", Deployment.json("json-1", "j1", L, "InboundContact", "{}"), now);
      d.sendJson(
          "json-1",
          Deployment.json("json-1", "j2", L, "HooksComplete", "{\"role\":\"stock\"}"),
          now + 1);
      d.sendJson("json-1", Deployment.json("json-1", "j3", L, "ResponseSent", "{}"), now + 2);
      d.sendJson("stall-1", Deployment.json("stall-1", "s1", L, "InboundContact", "{}"), now);

      // then: the stalled session is backed out by its 5 s deadline with nothing else arriving
      List<Backout> backouts = d.awaitAvro(d.topics.backouts(), Backout.class, 1, WAIT);
      assertThat(backouts)
          .singleElement()
          .satisfies(
              b -> {
                assertThat(b.getSessionId()).isEqualTo("stall-1");
                assertThat(b.getReason()).isEqualTo(BackoutReason.TIMEOUT);
                assertThat(b.getDeadline().toEpochMilli()).isEqualTo(now + 5_000);
              });
      List<Transition> ts = d.awaitAvro(d.topics.transitions(), Transition.class, 9, WAIT);
      assertThat(ts).hasSize(9);
      assertGaplessAndUnique(ts);
      assertThat(ts)
          .filteredOn(t -> t.getFinal$())
          .extracting(t -> t.getSessionId() + ":" + t.getTo())
          .containsExactlyInAnyOrder("avro-1:L_DONE", "json-1:L_DONE", "stall-1:L_TIMEOUT");
      assertThat(ts)
          .filteredOn(t -> t.getTrigger() == Trigger.TIMEOUT)
          .singleElement()
          .satisfies(t -> assertThat(t.getAt().toEpochMilli()).isEqualTo(now + 5_000));
      List<AuditRecord> audits = d.awaitAvro(d.topics.audit(), AuditRecord.class, 9, WAIT);
      assertThat(audits).hasSize(9);
      assertThat(audits).filteredOn(a -> a.getDecision() == Decision.DEADLINE_FIRED).hasSize(1);
      assertThat(audits)
          .filteredOn(a -> a.getInput() != null)
          .extracting(a -> a.getInput().getTopic())
          .containsOnly(d.topics.events(), d.topics.eventsJson());
    }
  }

  @Test
  void shouldSendPoisonToDlqAndAuditEveryBadInputWhileGoodRecordsFlow(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      d.start();
      long now = System.currentTimeMillis();
      byte[] junk = {0, 0, 0, 0, 99, 1, 2, 3};
      d.sendRaw(d.topics.events(), "p1", junk, now); // not a record
      d.sendRaw(d.topics.eventsJson(), "p2", "{\"eventId\":".getBytes(StandardCharsets.UTF_8), now);
      d.sendJson("good", Deployment.json("good", "g1", L, "InboundContact", "{}"), now);
      d.sendJson("x", Deployment.json("x", "b1", "no-such-protocol", "InboundContact", "{}"), now);
      d.sendJson("y", Deployment.json("y", "b2", L, "HooksComplete", "{}"), now); // unknown session
      d.sendJson(
          "good", Deployment.json("good", "g2", L, "Nope", "{}"), now + 1); // unknown event type
      d.sendJson(
          "good", Deployment.json("good", "g1", L, "InboundContact", "{}"), now + 2); // duplicate
      d.sendJson("good", Deployment.json("good", "g3", L, "TokenRejected", "{}"), now + 3);
      d.sendJson(
          "good", Deployment.json("good", "g4", L, "HooksComplete", "{}"), now + 4); // after final
      d.sendJson(
          "other",
          Deployment.json("mismatch", "k1", L, "InboundContact", "{}"),
          now); // key != sessionId
      d.sendJson(
          "big",
          Deployment.json(
              "big", "h1", L, "InboundContact", "{\"x\":\"" + "y".repeat(70_000) + "\"}"),
          now);
      d.sendJson(
          "deep",
          Deployment.json("deep", "d1", L, "InboundContact", "{\"a\":{\"b\":{\"c\":{}}}}"),
          now);
      d.sendJson("odd\u0007", Deployment.json("odd\\u0007", "u1", L, "InboundContact", "{}"), now);
      d.sendJson(
          "carol", Deployment.json("carol", "c1", "coinswap-carol", "SwapRequested", "{}"), now);
      d.sendJson(
          "carol",
          Deployment.json("carol", "c2", "coinswap-carol", "HandshakeComplete", "{}"),
          now + 1);
      d.sendJson(
          "carol",
          Deployment.json("carol", "c3", "coinswap-carol", "NegotiationComplete", "{}"),
          now + 2); // guard reads a missing field
      d.sendRaw(d.topics.events(), "p3", "not avro at all".getBytes(StandardCharsets.UTF_8), now);

      List<ConsumerRecord<byte[], byte[]>> dead = d.awaitRaw(d.topics.dlq(), 4, WAIT);
      assertThat(dead).hasSize(4);
      assertThat(dead)
          .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
          .containsExactlyInAnyOrder("p1", "p2", "p3", "deep");
      assertThat(dead)
          .filteredOn(r -> new String(r.key(), StandardCharsets.UTF_8).equals("p1"))
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.value()).isEqualTo(junk);
                assertThat(r.headers().lastHeader("statewarden.error")).isNotNull();
              });
      List<AuditRecord> audits = d.awaitAvro(d.topics.audit(), AuditRecord.class, 13, WAIT);
      assertThat(audits).hasSize(13);
      Map<String, List<String>> bySession = new HashMap<>();
      audits.forEach(
          a ->
              bySession
                  .computeIfAbsent(a.getSessionId(), k -> new java.util.ArrayList<>())
                  .add(a.getDecision() + (a.getReason() == null ? "" : "/" + a.getReason())));
      assertThat(bySession.get("x")).containsExactly("REJECTED/" + RejectReason.UNKNOWN_PROTOCOL);
      assertThat(bySession.get("y")).containsExactly("REJECTED/" + RejectReason.UNKNOWN_SESSION);
      assertThat(bySession.get("good"))
          .containsExactly(
              "ACCEPTED",
              "REJECTED/INVALID_TRANSITION",
              "DUPLICATE",
              "ACCEPTED",
              "REJECTED/SESSION_CLOSED");
      assertThat(bySession.get("other")).containsExactly("REJECTED/KEY_MISMATCH");
      assertThat(bySession.get("big")).containsExactly("REJECTED/LIMIT_EXCEEDED");
      assertThat(bySession.get("odd\u0007")).containsExactly("REJECTED/INVALID_EVENT");
      assertThat(bySession.get("carol"))
          .containsExactly("ACCEPTED", "ACCEPTED", "ACCEPTED/GUARD_ERROR");
      List<Backout> backouts = d.awaitAvro(d.topics.backouts(), Backout.class, 1, WAIT);
      assertThat(backouts)
          .anySatisfy(
              b -> {
                assertThat(b.getSessionId()).isEqualTo("carol");
                assertThat(b.getReason()).isEqualTo(BackoutReason.ERROR);
              });
    }
  }

  @Test
  void shouldRestartWithKeptOrWipedStateLosingAndRepeatingNothing(KafkaInfra infra)
      throws Exception {
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 3)) {
      d.start();
      long now = System.currentTimeMillis();
      for (int i = 0; i < 20; i++) {
        d.sendJson("r" + i, Deployment.json("r" + i, "e1", L, "InboundContact", "{}"), now);
        d.sendJson(
            "r" + i,
            Deployment.json("r" + i, "e2", L, "HooksComplete", "{\"role\":\"foil\"}"),
            now + 1);
      }
      d.awaitAvro(d.topics.transitions(), Transition.class, 40, WAIT);

      // when: stopped, events arrive, and it restarts on the same state dir
      d.stop();
      for (int i = 0; i < 20; i++) {
        d.sendJson("r" + i, Deployment.json("r" + i, "e3", L, "ResponseSent", "{}"), now + 2);
      }
      d.start();
      d.awaitAvro(d.topics.transitions(), Transition.class, 60, WAIT);
      // the session list index has no changelog: rebuilt from the restored sessions at start
      // (decision 0025), it lists each session once, in its state after the restart
      assertThat(listedStates(d))
          .hasSize(20)
          .containsOnlyKeys(ids(20))
          .containsValue("L_AWAIT_DATABASE");
      assertThat(listedStates(d).values()).containsOnly("L_AWAIT_DATABASE");
      try (var admin =
          org.apache.kafka.clients.admin.Admin.create(
              Map.of("bootstrap.servers", infra.bootstrapServers()))) {
        assertThat(admin.listTopics().names().get())
            .contains(d.appId + "-sessions-changelog")
            .doesNotContain(d.appId + "-sessions-by-state-changelog");
      }

      // and: stopped again, its state dir wiped, restored from the changelog
      d.stop();
      deleteRecursively(d.stateDir);
      for (int i = 0; i < 10; i++) {
        d.sendJson("r" + i, Deployment.json("r" + i, "e4", L, "DatabaseResult", "{}"), now + 3);
      }
      d.start();

      // then: 10 complete; the other 10 are backed out by deadlines set before both restarts
      List<Backout> backouts = d.awaitAvro(d.topics.backouts(), Backout.class, 10, WAIT);
      assertThat(backouts)
          .hasSize(10)
          .allSatisfy(
              b -> {
                assertThat(b.getStalledState()).isEqualTo("L_AWAIT_DATABASE");
                assertThat(b.getDeadline().toEpochMilli()).isEqualTo(now + 2 + 10_000);
              });
      List<Transition> ts = d.awaitAvro(d.topics.transitions(), Transition.class, 80, WAIT);
      assertThat(ts).hasSize(80);
      assertGaplessAndUnique(ts);
      List<AuditRecord> audits = d.awaitAvro(d.topics.audit(), AuditRecord.class, 80, WAIT);
      assertThat(audits)
          .hasSize(80)
          .filteredOn(a -> a.getDecision() == Decision.DEADLINE_FIRED)
          .hasSize(10);
      Map<String, String> listed = listedStates(d);
      assertThat(listed).containsOnlyKeys(ids(20));
      assertThat(listed.values().stream().filter("L_DONE"::equals)).hasSize(10);
      assertThat(listed.values().stream().filter("L_TIMEOUT"::equals)).hasSize(10);
    }
  }

  private static List<String> ids(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> "r" + i).toList();
  }

  /** GET /sessions, every page: session id to state. */
  static Map<String, String> listedStates(Deployment d) throws Exception {
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var client = java.net.http.HttpClient.newHttpClient();
    Map<String, String> out = new java.util.TreeMap<>();
    String next = null;
    do {
      String url =
          "http://127.0.0.1:"
              + d.app().httpPort()
              + "/sessions?limit=7"
              + (next == null ? "" : "&after=" + next);
      var res =
          client.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
      var body = mapper.readTree(res.body());
      body.get("sessions")
          .forEach(
              e ->
                  assertThat(out.put(e.get("sessionId").asText(), e.get("state").asText()))
                      .as("listed twice: " + e)
                      .isNull());
      next = body.get("next").isNull() ? null : body.get("next").asText();
    } while (next != null);
    return out;
  }

  static void deleteRecursively(Path p) throws Exception {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
