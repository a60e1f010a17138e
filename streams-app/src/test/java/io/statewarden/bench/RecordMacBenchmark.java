package io.statewarden.bench;

import io.statewarden.schema.ProtocolEvent;
import io.statewarden.topology.RecordMac;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the signature of docs/decisions/0008 costs per record on one core: signing a timer record
 * and a normalized JSON event (with its three source headers), verifying each, and the check of a
 * producer's Avro event, which has no signature (one header lookup). Values are the Avro bodies of
 * real records. Run: {@code ./mvnw -pl streams-app -am -Pbench-engine verify -DskipTests
 * -Dbench.args=RecordMacBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecordMacBenchmark {
  RecordMac mac;
  byte[] key;
  byte[] timer;
  byte[] event;
  Headers timerHeaders;
  Headers eventHeaders;
  Headers unsigned;

  @Setup
  public void setup() throws Exception {
    mac = RecordMac.of(RecordMac.randomKey(), List.of(RecordMac.randomKey()));
    key = "session-000123".getBytes(StandardCharsets.UTF_8);
    timer =
        ProtocolEvent.newBuilder()
            .setEventId("deadline:1767225605000:3")
            .setSessionId("session-000123")
            .setProtocol("taleus-listener")
            .setProtocolVersion(1)
            .setType("statewarden.DeadlineDue")
            .setPayload(Map.of("deadline", 1_767_225_605_000L, "seq", 3L))
            .setSource("statewarden")
            .build()
            .toByteBuffer()
            .array();
    event =
        ProtocolEvent.newBuilder()
            .setEventId("e-000123-2")
            .setSessionId("session-000123")
            .setProtocol("taleus-listener")
            .setType("HooksComplete")
            .setPayload(Map.of("role", "foil", "amount", 150_000L, "valid", true))
            .build()
            .toByteBuffer()
            .array();
    timerHeaders = new RecordHeaders();
    mac.sign(key, timer, timerHeaders);
    eventHeaders = sourceHeaders();
    mac.sign(key, event, eventHeaders);
    unsigned = new RecordHeaders();
    unsigned.add(
        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".getBytes());
  }

  static Headers sourceHeaders() {
    Headers h = new RecordHeaders();
    h.add("statewarden.source.topic", "statewarden.events.json".getBytes(StandardCharsets.UTF_8));
    h.add("statewarden.source.partition", "7".getBytes(StandardCharsets.UTF_8));
    h.add("statewarden.source.offset", "123456789".getBytes(StandardCharsets.UTF_8));
    return h;
  }

  @Benchmark
  public Headers signTimer() {
    Headers h = new RecordHeaders();
    mac.sign(key, timer, h);
    return h;
  }

  @Benchmark
  public boolean verifyTimer() {
    return mac.verify(key, timer, timerHeaders);
  }

  @Benchmark
  public Headers signNormalizedEvent() {
    Headers h = sourceHeaders();
    mac.sign(key, event, h);
    return h;
  }

  @Benchmark
  public boolean verifyNormalizedEvent() {
    return mac.verify(key, event, eventHeaders);
  }

  /** A producer's Avro event: no signature, so one header lookup and no HMAC. */
  @Benchmark
  public boolean checkUnsignedEvent() {
    return mac.verify(key, event, unsigned);
  }
}
