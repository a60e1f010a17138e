package io.statewarden.bench;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.protocol.ProtocolCatalog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The engine alone: events applied per second over whole sessions of the built-in protocols
 * (taleus-listener foil with a guard and an assignment, coinswap-alice 0-13 with an always move),
 * with and without the session codec round trip the processor does per event. Run: {@code ./mvnw
 * -pl streams-app -am -Pbench-engine verify -DskipTests}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EngineBenchmark {
  static final int EVENTS = 18;

  Engine engine;
  List<Event> listener;
  List<Event> alice;

  @Setup
  public void setup() throws Exception {
    engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    listener =
        flow(
            "taleus-listener",
            "s-l",
            List.of("InboundContact", "HooksComplete", "ResponseSent", "DatabaseResult"));
    alice =
        flow(
            "coinswap-alice",
            "s-a",
            List.of(
                "SwapRequested",
                "HandshakeComplete",
                "NegotiationInitiated",
                "NegotiationComplete",
                "TX0idHxTX2sigSent",
                "TX1idTX2sigTX3sigReceived",
                "TX3Sent",
                "TX0Broadcast",
                "TX0TX1Seen",
                "TX0TX1ConfirmedByCarol",
                "XSent",
                "TX5SigReceived",
                "TX4SigSent",
                "TX4SigSent"));
  }

  static List<Event> flow(String protocol, String id, List<String> types) {
    List<Event> events = new ArrayList<>();
    long t = 1_000;
    for (int i = 0; i < types.size(); i++) {
      Event e = Event.of(id, id + "-" + i, protocol, types.get(i), t += 100);
      e = e.withPayload(Map.of("role", "foil", "amount", 150_000L, "valid", true));
      events.add(e);
    }
    return events;
  }

  /** Engine only: 18 events per invocation (2 whole sessions, the last one a rejection). */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void engineOnly(Blackhole bh) {
    run(listener, bh, false);
    run(alice, bh, false);
  }

  /** Engine plus decode before and encode after each event, as the processor stores sessions. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void engineWithCodec(Blackhole bh) {
    run(listener, bh, true);
    run(alice, bh, true);
  }

  private void run(List<Event> events, Blackhole bh, boolean codec) {
    Session s = null;
    byte[] stored = null;
    for (Event e : events) {
      Session current = codec ? (stored == null ? null : SessionCodec.decode(stored)) : s;
      Result r = engine.onEvent(current, e);
      if (r.changed()) {
        s = r.session();
        if (codec) stored = SessionCodec.encode(s);
      }
      bh.consume(r.outputs());
    }
  }

  /** Prints the serialized size of each built-in session at its end, then runs JMH. */
  public static void main(String[] args) throws Exception {
    if (args.length == 1) {
      args = args[0].trim().split("\\s+"); // -Dbench.args="HotPathBenchmark -prof gc" is one
    }
    if (args.length > 0 && args[0].equals("interleaved")) {
      AvroCodecBenchmark.main(args); // -Dbench.args="interleaved 40"
      return;
    }
    if (args.length > 0 && args[0].equals("hotpath-interleaved")) {
      args[0] = "interleaved"; // -Dbench.args="hotpath-interleaved 30"
      HotPathBenchmark.main(args);
      return;
    }
    if (args.length > 0 && args[0].startsWith("HotPathBenchmark")) {
      HotPathBenchmark.main(args); // prints the sizes of the coded sessions first
      return;
    }
    EngineBenchmark b = new EngineBenchmark();
    b.setup();
    for (List<Event> flow : List.of(b.listener, b.alice)) {
      Session s = null;
      for (Event e : flow) {
        Result r = b.engine.onEvent(s, e);
        if (r.changed()) s = r.session();
      }
      System.out.printf(
          "serialized session %-16s %3d bytes (%d states in history, %d event ids)%n",
          s.protocol(), SessionCodec.encode(s).length, s.history().size(), s.eventIds().size());
    }
    org.openjdk.jmh.Main.main(args);
  }
}
