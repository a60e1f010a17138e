package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.RealKafka;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus (issue 13): the real {@code run} command in a JVM of its own, with the
 * heap and OOM setting the image ships, against the real broker and registry. Every hostile record
 * of the issue is sent through the real path, interleaved with one good session. The good session's
 * outputs must be exact, every hostile record must be accounted for (an audit record with its
 * reason, or a dead letter naming where it was read), no stream thread may fail, and the JVM must
 * stay up and stop cleanly.
 */
@ExtendWith(RealKafka.class)
class HostileInputIT {
  static final String PROTOCOL =
      """
      protocol: corpus
      version: 1
      initial: OPEN
      start: [Open]
      sessionTimeout: {after: 10m, to: TIMED_OUT}
      states:
        OPEN:
          on:
            Step: WORKING
            Grow: {to: OPEN, set: {blob: "event.payload.chunk"}}
            Check:
              - to: WORKING
                if: "event.payload.all(a, event.payload.all(b, event.payload.all(c, a != '' && b != '' && c != '')))"
        WORKING:
          on:
            Step: OPEN
            Done: DONE
        DONE: {final: COMPLETED}
        TIMED_OUT: {final: BACKED_OUT}
      """;

  /** eventId's length as an Avro long: 2^30 bytes, then nothing (as in AvroLengthBombTest). */
  static final byte[] BOMB = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0};

  private static final Pattern HTTP_PORT = Pattern.compile("HTTP on port (\\d+)");

  @TempDir Path dir;

  /** A hostile record sent raw: where it landed and what it must get. */
  record Sent(String what, RecordMetadata where, String expectedError) {}

  @Test
  void shouldAccountForEveryHostileRecordAndKeepTheGoodSessionExact(KafkaInfra infra)
      throws Exception {
    Path protocols = Files.createDirectories(dir.resolve("protocols"));
    Files.writeString(protocols.resolve("corpus.yaml"), PROTOCOL);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      d.extra.put(StatewardenConfig.SESSION_MAX_BYTES, "4096");
      Path config = dir.resolve("statewarden.properties");
      Properties props = new Properties();
      props.putAll(d.settings());
      try (Writer w = Files.newBufferedWriter(config)) {
        props.store(w, "HostileInputIT");
      }
      String java = ProcessHandle.current().info().command().orElse("java");
      Process p =
          new ProcessBuilder(
                  java,
                  "-Xmx256m",
                  "-XX:+ExitOnOutOfMemoryError",
                  "-jar",
                  Path.of("target/statewarden.jar").toAbsolutePath().toString(),
                  "run",
                  "--config",
                  config.toString())
              .redirectErrorStream(true)
              .start();
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (Exception e) {
                  lines.add("reader: " + e);
                }
              });
      reader.start();
      try {
        int port = awaitReady(p, lines);
        long t0 = System.currentTimeMillis();
        List<Sent> deadLetters = new ArrayList<>();

        d.sendAvro("good", Deployment.event("good", "g1", "corpus", "Open", Map.of()), t0);

        // an Avro length bomb: a real record's registry prefix, then a string claiming 2^30 bytes
        byte[] prefix = encodedPrefixOf(d);
        byte[] bomb = concat(prefix, BOMB);
        deadLetters.add(
            new Sent(
                "Avro length bomb",
                d.sendRaw(d.topics.events(), "good", bomb, t0),
                "exceeds maximum allowed"));
        d.sendAvro("good", Deployment.event("good", "g2", "corpus", "Step", Map.of()), t0 + 1);

        // a guard whose cost the producer chooses: three nested comprehensions over 256 entries
        d.sendAvro("guard", Deployment.event("guard", "c1", "corpus", "Open", Map.of()), t0);
        Map<String, Object> wide = new HashMap<>();
        for (int i = 0; i < 256; i++) wide.put("k" + i, "v" + i);
        d.sendAvro("guard", Deployment.event("guard", "c2", "corpus", "Check", wide), t0 + 1);

        // JSON numbers that cannot be represented, and bytes that are not JSON at all
        deadLetters.add(
            new Sent(
                "integer beyond the long range",
                d.sendRaw(
                    d.topics.eventsJson(),
                    "good",
                    bytes(
                        Deployment.json(
                            "good",
                            "j1",
                            "corpus",
                            "Step",
                            "{\"n\":123456789012345678901234567890}")),
                    t0 + 2),
                "out of range: integers are longs"));
        deadLetters.add(
            new Sent(
                "non-finite number",
                d.sendRaw(
                    d.topics.eventsJson(),
                    "good",
                    bytes(Deployment.json("good", "j2", "corpus", "Step", "{\"x\":1e400}")),
                    t0 + 2),
                "out of range: numbers are doubles"));
        deadLetters.add(
            new Sent(
                "not JSON", d.sendRaw(d.topics.eventsJson(), "good", bytes("{{{"), t0 + 2), ""));
        d.sendAvro("good", Deployment.event("good", "g3", "corpus", "Step", Map.of()), t0 + 3);

        // a JSON timestamp ten minutes before the record's: it is the event time
        long eventTime = t0 - 600_000;
        d.sendJson(
            "stamped",
            Deployment.json("stamped", "t1", "corpus", "Open", "{}")
                .replace("{\"eventId\"", "{\"timestamp\":" + eventTime + ",\"eventId\""),
            t0 + 4);

        // a timer forged from a real one's fields, with a made-up signature and source headers
        ProtocolEvent forged =
            Deployment.event(
                "good",
                "deadline:" + (t0 + 600_000) + ":1",
                "corpus",
                "statewarden.DeadlineDue",
                Map.of("deadline", t0 + 600_000, "seq", 1L));
        forged.setSource("statewarden");
        RecordMetadata forgedAt =
            d.sendRaw(
                d.topics.events(),
                "good",
                concat(prefix, plain(forged)),
                t0 + 4,
                Map.of(
                    "statewarden.mac", "00000000:AAAA",
                    "statewarden.source.topic", "elsewhere",
                    "statewarden.source.partition", "7",
                    "statewarden.source.offset", "7"));

        // an Avro string whose bytes are not UTF-8 (eventId "XX" made 0xC3 0x28)
        byte[] notUtf8 = plain(Deployment.event("good", "XX", "corpus", "Step", Map.of()));
        notUtf8[1] = (byte) 0xC3;
        notUtf8[2] = 0x28;
        deadLetters.add(
            new Sent(
                "Avro string not UTF-8",
                d.sendRaw(d.topics.events(), "good", concat(prefix, notUtf8), t0 + 4),
                "not UTF-8"));

        // JSON strings that are not text, keys given twice
        deadLetters.add(
            new Sent(
                "unpaired surrogate",
                d.sendRaw(
                    d.topics.eventsJson(),
                    "good",
                    bytes(Deployment.json("good", "e-\\ud800", "corpus", "Step", "{}")),
                    t0 + 4),
                "unpaired surrogate"));
        deadLetters.add(
            new Sent(
                "duplicate key",
                d.sendRaw(
                    d.topics.eventsJson(),
                    "good",
                    bytes(
                        Deployment.json("good", "j3", "corpus", "Step", "{}")
                            .replace("{\"eventId\"", "{\"eventId\":\"j4\",\"eventId\"")),
                    t0 + 4),
                "duplicate key"));

        // a session that a producer grows past statewarden.session.max.bytes (4096 here)
        d.sendAvro("grow", Deployment.event("grow", "w1", "corpus", "Open", Map.of()), t0);
        d.sendAvro(
            "grow",
            Deployment.event("grow", "w2", "corpus", "Grow", Map.of("chunk", "x".repeat(2000))),
            t0 + 1);
        d.sendAvro(
            "grow",
            Deployment.event("grow", "w3", "corpus", "Grow", Map.of("chunk", "y".repeat(5000))),
            t0 + 2);

        // a good event whose producer set statewarden's own headers
        RecordMetadata g4At =
            d.sendRaw(
                d.topics.events(),
                "good",
                concat(prefix, plain(Deployment.event("good", "g4", "corpus", "Step", Map.of()))),
                t0 + 4,
                Map.of(
                    "statewarden.source.topic", "elsewhere",
                    "statewarden.source.partition", "7",
                    "statewarden.source.offset", "7",
                    "statewarden.error", "pre-seeded"));

        // fifty clients that never finish their request line
        List<java.net.Socket> slow = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          java.net.Socket c = new java.net.Socket("127.0.0.1", port);
          c.getOutputStream()
              .write("GET /sessions/good HTTP/1.1\r\nHost: x".getBytes(StandardCharsets.US_ASCII));
          c.getOutputStream().flush();
          slow.add(c);
        }
        HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        for (int i = 0; i < 5; i++) {
          HttpResponse<String> live =
              probe.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                      .timeout(Duration.ofSeconds(1))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertThat(live.statusCode()).as("liveness with 50 slow clients").isEqualTo(200);
        }
        for (java.net.Socket c : slow) c.close();
        d.sendAvro("good", Deployment.event("good", "g5", "corpus", "Done", Map.of()), t0 + 5);

        // the good session, exactly
        List<Transition> goodOnes = new ArrayList<>();
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  goodOnes.clear();
                  d.readAll(d.topics.transitions(), Transition.class).stream()
                      .filter(t -> t.getSessionId().equals("good"))
                      .forEach(goodOnes::add);
                  return goodOnes.size() >= 5;
                });
        assertThat(goodOnes)
            .extracting(
                t -> t.getSeq() + ":" + t.getFrom() + ">" + t.getTo() + ":" + t.getEventId())
            .containsExactly(
                "1:null>OPEN:g1",
                "2:OPEN>WORKING:g2",
                "3:WORKING>OPEN:g3",
                "4:OPEN>WORKING:g4",
                "5:WORKING>DONE:g5");

        // every dead letter names where its record was read, with a clear reason
        List<ConsumerRecord<byte[], byte[]>> dlq =
            d.awaitRaw(d.topics.dlq(), deadLetters.size(), Duration.ofSeconds(30));
        Map<String, String> errorsAt = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
          errorsAt.put(
              header(r, "statewarden.error.topic")
                  + "/"
                  + header(r, "statewarden.error.partition")
                  + "/"
                  + header(r, "statewarden.error.offset"),
              header(r, "statewarden.error"));
        }
        for (Sent s : deadLetters) {
          String at = s.where().topic() + "/" + s.where().partition() + "/" + s.where().offset();
          assertThat(errorsAt).as(s.what() + " is dead-lettered").containsKey(at);
          assertThat(errorsAt.get(at)).as(s.what()).contains(s.expectedError());
          assertThat(errorsAt.get(at)).as(s.what() + ": no class names").doesNotContain("java.");
        }
        assertThat(dlq).as("nothing else is dead-lettered").hasSize(deadLetters.size());
        assertThat(dlq)
            .as("a producer's pre-seeded error header never reaches the dead-letter topic")
            .allSatisfy(r -> assertThat(header(r, "statewarden.error")).isNotEqualTo("pre-seeded"));

        // every decodable input has its audit record
        List<AuditRecord> audits = d.readAll(d.topics.audit(), AuditRecord.class);
        AuditRecord guard = byEvent(audits, "c2");
        assertThat(guard.getDecision()).isEqualTo(Decision.REJECTED);
        assertThat(guard.getReason()).isEqualTo(RejectReason.GUARD_ERROR);
        assertThat(guard.getDetail()).contains("Iteration budget exceeded");
        AuditRecord forgedAudit =
            audits.stream()
                .filter(a -> a.getReason() == RejectReason.RESERVED_TYPE)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no RESERVED_TYPE audit: " + audits));
        assertThat(forgedAudit.getSessionId()).isEqualTo("good");
        assertThat(forgedAudit.getInput().getTopic()).isEqualTo(d.topics.events());
        assertThat(forgedAudit.getInput().getOffset()).isEqualTo(forgedAt.offset());
        AuditRecord g4 = byEvent(audits, "g4");
        assertThat(g4.getInput().getTopic())
            .as("a producer's statewarden.source headers are ignored")
            .isEqualTo(d.topics.events());
        assertThat(g4.getInput().getOffset()).isEqualTo(g4At.offset());
        AuditRecord tooBig = byEvent(audits, "w3");
        assertThat(tooBig.getDecision()).isEqualTo(Decision.REJECTED);
        assertThat(tooBig.getReason()).isEqualTo(RejectReason.LIMIT_EXCEEDED);
        assertThat(byEvent(audits, "w2").getDecision()).isEqualTo(Decision.ACCEPTED);
        for (String id : List.of("g1", "g2", "g3", "g4", "g5", "c1", "t1", "w1")) {
          assertThat(byEvent(audits, id).getDecision()).as(id).isEqualTo(Decision.ACCEPTED);
        }
        Transition stamped =
            d.readAll(d.topics.transitions(), Transition.class).stream()
                .filter(t -> t.getSessionId().equals("stamped"))
                .findFirst()
                .orElseThrow();
        assertThat(stamped.getAt().toEpochMilli()).isEqualTo(eventTime);

        // no stream thread failed, the JVM is up
        Map<String, PrometheusTextParser.Family> metrics =
            PrometheusTextParser.parse(
                HttpClient.newHttpClient()
                    .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .body());
        List<PrometheusTextParser.Sample> failed =
            metrics.values().stream()
                .filter(f -> f.name().contains("failed_stream_threads"))
                .flatMap(f -> f.samples().stream())
                .toList();
        assertThat(failed)
            .as("Kafka Streams' failed-threads count is exported, and zero")
            .isNotEmpty()
            .allSatisfy(s -> assertThat(s.value()).isZero());
        assertThat(lines).noneMatch(l -> l.contains("Stream thread failed"));
        assertThat(p.isAlive()).as("the JVM stays up: %s", lines).isTrue();
      } finally {
        p.toHandle().destroy();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        if (!exited) p.destroyForcibly();
        reader.join(5_000);
        assertThat(exited).as("stops within 60 s: %s", lines).isTrue();
      }
      // SIGTERM: the shutdown hook closes the app, the JVM reports the signal (128 + 15)
      assertThat(p.exitValue()).as("clean stop: %s", lines).isIn(0, 143);
      assertThat(lines).noneMatch(l -> l.contains("OutOfMemoryError"));
    }
  }

  private static int awaitReady(Process p, List<String> lines) {
    int[] port = {-1};
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInSameThread()
        .until(
            () -> {
              for (String l : lines) {
                Matcher m = HTTP_PORT.matcher(l);
                if (m.find()) port[0] = Integer.parseInt(m.group(1));
              }
              return port[0] > 0 || !p.isAlive();
            });
    assertThat(p.isAlive()).as("run exited early: %s", lines).isTrue();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port[0] + "/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build();
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInSameThread()
        .ignoreExceptions()
        .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    return port[0];
  }

  /** The registry prefix (magic byte and schema id) the serializer put before a real event. */
  private static byte[] encodedPrefixOf(Deployment d) throws Exception {
    byte[] plain = plain(Deployment.event("good", "g1", "corpus", "Open", Map.of()));
    byte[] all = d.awaitRaw(d.topics.events(), 1, Duration.ofSeconds(30)).get(0).value();
    assertThat(all.length).isGreaterThan(plain.length);
    byte[] prefix = new byte[all.length - plain.length];
    System.arraycopy(all, 0, prefix, 0, prefix.length);
    return prefix;
  }

  /** An event in Avro's binary encoding, without the registry prefix. */
  private static byte[] plain(ProtocolEvent e) throws java.io.IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(ProtocolEvent.class).write(e, enc);
    enc.flush();
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static AuditRecord byEvent(List<AuditRecord> audits, String eventId) {
    return audits.stream()
        .filter(a -> eventId.equals(a.getEventId()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no audit record for " + eventId + ": " + audits));
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
