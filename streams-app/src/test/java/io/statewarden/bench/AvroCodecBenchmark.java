package io.statewarden.bench;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.engine.Output;
import io.statewarden.engine.Result;
import io.statewarden.engine.Session;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.Backout;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import io.statewarden.topology.AvroMapping;
import io.statewarden.topology.ContractAvro0022;
import io.statewarden.topology.ContractEvents;
import io.statewarden.topology.ContractOutput;
import io.statewarden.topology.ContractSerializer;
import io.statewarden.topology.PublishedSchemas;
import io.statewarden.topology.SchemaIdentityDatumProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
 * The Avro codec of the stream thread, per record, on one core: the outputs of whole sessions of
 * the built-in protocols (the transitions and audit records {@code AvroMapping} makes of the
 * engine's outputs, as in the throughput benchmark's mix) serialized by Apicurio's serializer as
 * statewarden configured it before (its datum writers found by schema identity, writing into a
 * thread's buffer) and by {@link ContractSerializer}; and input events deserialized by Apicurio's
 * deserializer as configured now. Both serializers get the same registry stand-in ({@link
 * PublishedSchemas}): after the first record a schema lookup is a cache hit in either, so what
 * differs is the encoding. Run: {@code ./mvnw -pl streams-app -am -Pbench-engine verify -DskipTests
 * -Dbench.args=AvroCodecBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(2)
public class AvroCodecBenchmark {
  static final int OUTPUTS = 36;
  static final int EVENTS = 18;

  List<String> topics;
  List<Object> records;
  List<Output> outputs;
  List<byte[]> prefixes;
  static final long PROCESSED_AT = 1_767_225_605_000L;
  static final String INSTANCE = "statewarden-0";
  List<byte[]> events;
  AvroKafkaSerializer<Object> apicurio;
  ContractSerializer direct;
  AvroKafkaDeserializer<Object> decoder;
  ContractEvents directEvents;
  static final InputRef INPUT = new InputRef("statewarden.events", 0, 42);

  @Setup
  public void setup() throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put(
        "apicurio.registry.avro-datum-provider", SchemaIdentityDatumProvider.class.getName());
    config.put("apicurio.registry.use-specific-avro-reader", "true");
    apicurio = new AvroKafkaSerializer<>();
    apicurio.setSchemaResolver(new PublishedSchemas(1));
    apicurio.configure(config, false);
    direct = new ContractSerializer();
    direct.setSchemaResolver(new PublishedSchemas(1));
    direct.configure(config, false);
    PublishedSchemas registry = new PublishedSchemas(1);
    AvroKafkaSerializer<Object> producer = new AvroKafkaSerializer<>();
    producer.setSchemaResolver(registry);
    producer.configure(config, false);
    decoder = new AvroKafkaDeserializer<>();
    decoder.setSchemaResolver(registry);
    decoder.configure(config, false);
    ContractSerializer framing = new ContractSerializer();
    framing.setSchemaResolver(registry);
    framing.configure(config, false);
    directEvents = new ContractEvents(framing);

    Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    outputs = new ArrayList<>();
    events = new ArrayList<>();
    for (List<Event> flow : sessions()) {
      Session s = null;
      for (Event e : flow) {
        events.add(
            producer.serialize("statewarden.events", new RecordHeaders(), AvroMapping.toAvro(e)));
        Result r = engine.onEvent(s, e);
        if (r.changed()) s = r.session();
        outputs.addAll(r.outputs());
      }
    }
    records = new ArrayList<>();
    topics = new ArrayList<>();
    for (Output o : outputs) {
      Object r = AvroMapping.record(o, PROCESSED_AT, INSTANCE);
      records.add(r);
      topics.add(
          r instanceof Transition
              ? "statewarden.transitions"
              : r instanceof Backout ? "statewarden.backouts" : "statewarden.audit");
    }
    if (records.size() != OUTPUTS || events.size() != EVENTS) {
      throw new IllegalStateException(records.size() + " outputs, " + events.size() + " events");
    }
    for (byte[] e : events) {
      Event mine = directEvents.decode("statewarden.events", e, "k", 7L, INPUT);
      if (mine == null || !mine.equals(eventViaApicurio(e))) {
        throw new IllegalStateException("the direct decoder's event differs from the stock one");
      }
    }
    // the framing each topic gets, for the 0022 baseline; both paths must write the same bytes
    prefixes = new ArrayList<>();
    for (int i = 0; i < OUTPUTS; i++) {
      byte[] after = direct.serialize(topics.get(i), output(i));
      int body = ContractAvro0022.serialize(new byte[0], records.get(i)).length;
      byte[] prefix = java.util.Arrays.copyOf(after, after.length - body);
      prefixes.add(prefix);
      if (!java.util.Arrays.equals(after, ContractAvro0022.serialize(prefix, records.get(i)))) {
        throw new IllegalStateException("0022's bytes differ from the direct path's: " + i);
      }
    }
  }

  private ContractOutput output(int i) {
    return new ContractOutput(outputs.get(i), PROCESSED_AT, INSTANCE);
  }

  static List<List<Event>> sessions() {
    EngineBenchmark b = new EngineBenchmark();
    try {
      b.setup();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return List.of(b.listener, b.alice);
  }

  /** Apicurio's serializer of the Avro records (built beforehand), per output record. */
  @Benchmark
  @OperationsPerInvocation(OUTPUTS)
  public void serializeApicurio(Blackhole bh) {
    for (int i = 0; i < OUTPUTS; i++) {
      bh.consume(apicurio.serialize(topics.get(i), new RecordHeaders(), records.get(i)));
    }
  }

  /**
   * Decision 0022's path, per output record: the engine output to its Avro record ({@code
   * AvroMapping.record}), then that record written by 0022's writer behind its framing.
   */
  @Benchmark
  @OperationsPerInvocation(OUTPUTS)
  public void outputsVia0022(Blackhole bh) {
    for (int i = 0; i < OUTPUTS; i++) {
      Object r = AvroMapping.record(outputs.get(i), PROCESSED_AT, INSTANCE);
      bh.consume(ContractAvro0022.serialize(prefixes.get(i), r));
    }
  }

  /** Decision 0026's path: {@link ContractSerializer} straight from the output, per record. */
  @Benchmark
  @OperationsPerInvocation(OUTPUTS)
  public void outputsDirect(Blackhole bh) {
    for (int i = 0; i < OUTPUTS; i++) {
      bh.consume(direct.serialize(topics.get(i), new RecordHeaders(), output(i)));
    }
  }

  /** The engine output to its Avro record ({@code AvroMapping.record}), per output record. */
  @Benchmark
  @OperationsPerInvocation(OUTPUTS)
  public void mapToAvro(Blackhole bh) {
    for (int i = 0; i < OUTPUTS; i++) {
      bh.consume(AvroMapping.record(outputs.get(i), PROCESSED_AT, INSTANCE));
    }
  }

  /** Apicurio's deserializer on the input events (as the decode node runs it), per event. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void deserializeApicurio(Blackhole bh) {
    for (int i = 0; i < EVENTS; i++) {
      bh.consume(decoder.deserialize("statewarden.events", new RecordHeaders(), events.get(i)));
    }
  }

  private Event eventViaApicurio(byte[] value) {
    Object e = decoder.deserialize("statewarden.events", new RecordHeaders(), value);
    return AvroMapping.event("k", (ProtocolEvent) e, 7L, INPUT);
  }

  /** Before 0026: Apicurio's deserializer, then {@code AvroMapping.event}, per input event. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void eventsViaApicurio(Blackhole bh) {
    for (int i = 0; i < EVENTS; i++) {
      bh.consume(eventViaApicurio(events.get(i)));
    }
  }

  /** Decision 0026: {@link ContractEvents}, straight to the engine's event, per input event. */
  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void eventsDirect(Blackhole bh) {
    for (int i = 0; i < EVENTS; i++) {
      bh.consume(directEvents.decode("statewarden.events", events.get(i), "k", 7L, INPUT));
    }
  }

  /**
   * Prints the records' sizes, then runs JMH; with the argument {@code interleaved} ({@code
   * interleaved ROUNDS PAIR}), instead alternates the two sides of a before/after pair in short
   * rounds (on a loaded machine the load moves between two JMH benchmarks run one after the other;
   * here both see the same load) and prints the median and best ns per record of each, and the
   * median of the per-round ratios. Pairs: {@code outputs} (0022's path against the direct one, the
   * default), {@code apicurio} (Apicurio's serializer of the records against the direct path),
   * {@code events} (Apicurio's deserializer and {@code AvroMapping.event} against {@code
   * ContractEvents}).
   */
  public static void main(String[] args) throws Exception {
    AvroCodecBenchmark b = new AvroCodecBenchmark();
    b.setup();
    if (args.length > 0 && args[0].equals("interleaved")) {
      int rounds = Integer.parseInt(args.length > 1 ? args[1] : "60");
      for (String pair : (args.length > 2 ? args[2] : "outputs").split(",")) {
        b.interleaved(rounds, pair);
      }
      return;
    }
    Map<String, int[]> sizes = new java.util.TreeMap<>();
    for (int i = 0; i < OUTPUTS; i++) {
      int[] s = sizes.computeIfAbsent(b.topics.get(i), t -> new int[2]);
      s[0]++;
      s[1] += b.direct.serialize(b.topics.get(i), b.output(i)).length;
    }
    sizes.forEach(
        (t, s) ->
            System.out.printf("%-24s %2d records, %4d bytes on average%n", t, s[0], s[1] / s[0]));
    org.openjdk.jmh.Main.main(args);
  }

  private void interleaved(int rounds, String pair) {
    Blackhole bh =
        new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is"
                + " dangerous.");
    Runnable before;
    Runnable after;
    int records;
    String[] names;
    switch (pair) {
      case "outputs" -> {
        before = () -> outputsVia0022(bh);
        after = () -> outputsDirect(bh);
        records = OUTPUTS;
        names = new String[] {"0022 (AvroMapping + writer)", "direct from Output"};
      }
      case "apicurio" -> {
        before = () -> serializeApicurio(bh);
        after = () -> outputsDirect(bh);
        records = OUTPUTS;
        names = new String[] {"Apicurio (records prebuilt)", "direct from Output"};
      }
      case "events" -> {
        before = () -> eventsViaApicurio(bh);
        after = () -> eventsDirect(bh);
        records = EVENTS;
        names = new String[] {"Apicurio + AvroMapping.event", "ContractEvents"};
      }
      default -> throw new IllegalArgumentException("no pair " + pair);
    }
    for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; ) {
      before.run();
      after.run();
    }
    double[] a = new double[rounds];
    double[] d = new double[rounds];
    double[] ratio = new double[rounds];
    int reps = 2_000;
    for (int r = 0; r < rounds; r++) {
      boolean beforeFirst = r % 2 == 0;
      double first = time(beforeFirst ? before : after, reps, records);
      double second = time(beforeFirst ? after : before, reps, records);
      a[r] = beforeFirst ? first : second;
      d[r] = beforeFirst ? second : first;
      ratio[r] = a[r] / d[r];
    }
    java.util.Arrays.sort(a);
    java.util.Arrays.sort(d);
    java.util.Arrays.sort(ratio);
    System.out.printf(
        "interleaved %s, %d rounds of %d x %d records each:%n"
            + "  before: %-28s median %.0f ns/record, best %.0f, worst %.0f%n"
            + "  after:  %-28s median %.0f ns/record, best %.0f, worst %.0f%n"
            + "  before / after per round: median %.2f, min %.2f, max %.2f%n",
        pair,
        rounds,
        reps,
        records,
        names[0],
        a[rounds / 2],
        a[0],
        a[rounds - 1],
        names[1],
        d[rounds / 2],
        d[0],
        d[rounds - 1],
        ratio[rounds / 2],
        ratio[0],
        ratio[rounds - 1]);
  }

  private static double time(Runnable r, int reps, int records) {
    long start = System.nanoTime();
    for (int i = 0; i < reps; i++) r.run();
    return (System.nanoTime() - start) / (double) reps / records;
  }
}
