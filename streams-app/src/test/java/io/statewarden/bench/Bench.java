package io.statewarden.bench;

import io.statewarden.app.StatewardenApp;
import io.statewarden.app.TopicAdmin;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.embedded.EmbeddedRegistry;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.ProtocolEvent;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Benchmarks of statewarden on a real broker (and registry), side by side with a pass-through Kafka
 * Streams topology in the same run. Not a test: run {@code ./mvnw -pl streams-app -am -Pbench
 * -Dbench.case=throughput verify -DskipTests}; cases: throughput, deadlines, storm, restore,
 * latency, all. See docs/benchmarks.md.
 */
public final class Bench {
  /** Partitions of every topic the runner creates ({@code bench.partitions}, default 6). */
  static final int PARTITIONS = intProp("bench.partitions", 6);

  static final String INPUT = "bench.input";
  static final String INPUT_AVRO = "bench.input.avro";

  final Path dir;
  final BrokerProcess kafka;
  final EmbeddedRegistry registry;
  final Admin admin;
  final Engine engine;
  int runNo;

  Bench(Path dir) throws Exception {
    this.dir = dir;
    deleteTree(dir);
    Files.createDirectories(dir);
    kafka = BrokerProcess.start(dir.resolve("kafka"));
    registry =
        EmbeddedRegistry.start(
            EmbeddedRegistry.locateHome(System.getProperty(EmbeddedRegistry.HOME_PROPERTY)), 0);
    Properties a = new Properties();
    a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    admin = Admin.create(a);
    engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
  }

  public static void main(String[] args) throws Exception {
    String c = System.getProperty("bench.case", "throughput");
    Path dir = Path.of(System.getProperty("bench.dir", "target/bench"));
    System.out.printf(
        "bench case=%s  java %s  %d cores  max heap %d MiB  %s%n",
        c,
        System.getProperty("java.version"),
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        java.time.LocalDate.now());
    Bench b = new Bench(dir);
    try {
      for (String one :
          c.equals("all")
              ? List.of("throughput", "deadlines", "storm", "restore", "latency")
              : List.of(c.split(","))) {
        switch (one) {
          case "throughput" -> new ThroughputCase(b).run();
          case "deadlines" -> new DeadlinesCase(b).run();
          case "storm" -> new StormCase(b).run();
          case "restore" -> new RestoreCase(b).run();
          case "latency" -> new LatencyCase(b).run();
          default -> throw new IllegalArgumentException("unknown bench.case " + one);
        }
      }
    } finally {
      b.close();
    }
    System.exit(0);
  }

  static int intProp(String name, int dflt) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? dflt : Integer.parseInt(v.replace("_", ""));
  }

  static String prop(String name, String dflt) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? dflt : v;
  }

  /** {@code k=v,k=v} as a map, in order. */
  static Map<String, String> kvs(String list) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String kv : list.split(",")) {
      if (kv.contains("=")) {
        m.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
      }
    }
    return m;
  }

  void close() {
    admin.close();
    registry.close();
    kafka.close();
  }

  // ---------------------------------------------------------------- topics, producing, consuming

  void createTopics(String... names) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (String n : names) m.put(n, PARTITIONS);
    TopicAdmin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()), m, Map.of());
  }

  KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  /** Produces the records as Avro {@code ProtocolEvent}s through the registry. */
  void loadAvro(String topic, List<Workload.Rec> records) {
    try (KafkaProducer<String, ProtocolEvent> prod = avroProducer()) {
      for (Workload.Rec r : records) {
        prod.send(new ProducerRecord<>(topic, null, r.timestamp(), r.key(), avro(r.event())));
      }
      prod.flush();
    }
  }

  /** A producer of Avro {@code ProtocolEvent}s through the registry's serializer. */
  KafkaProducer<String, ProtocolEvent> avroProducer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    Map<String, Object> serde = new HashMap<>();
    serde.put("apicurio.registry.url", registry.url());
    serde.put("apicurio.registry.auto-register", "true");
    var ser = new io.apicurio.registry.serde.avro.AvroKafkaSerializer<ProtocolEvent>();
    ser.configure(serde, false);
    return new KafkaProducer<>(p, new StringSerializer(), ser);
  }

  static ProtocolEvent avro(Event e) {
    return ProtocolEvent.newBuilder()
        .setEventId(e.eventId())
        .setSessionId(e.sessionId())
        .setProtocol(e.protocol())
        .setType(e.type())
        .setPayload(new HashMap<>(e.payload()))
        .setSource("bench")
        .build();
  }

  /** Produces the records and waits for all acks; returns records/s. */
  double load(String topic, List<Workload.Rec> records) {
    long t0 = System.nanoTime();
    try (KafkaProducer<String, byte[]> p = producer()) {
      for (Workload.Rec r : records) {
        p.send(new ProducerRecord<>(topic, null, r.timestamp(), r.key(), r.json()));
      }
      p.flush();
    }
    return records.size() / ((System.nanoTime() - t0) / 1e9);
  }

  long endOffsetSum(String topic) throws Exception {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> q = new HashMap<>();
    for (int i = 0; i < PARTITIONS; i++) {
      q.put(new TopicPartition(topic, i), org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    return admin.listOffsets(q).all().get().values().stream().mapToLong(o -> o.offset()).sum();
  }

  long committedSum(String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> m =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return m.entrySet().stream()
        .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset())
        .sum();
  }

  /** Waits until the group has committed {@code upTo} offsets of the topic in all. */
  void awaitCommitted(String group, String topic, long upTo, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (committedSum(group, topic) < upTo) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            group + " committed only " + committedSum(group, topic) + " of " + upTo);
      }
      Thread.sleep(50);
    }
  }

  /**
   * Waits until the group has no members. A Kafka Streams instance does not leave its group on
   * close (a bounce should not rebalance), so its member stays until {@code session.timeout.ms} (45
   * s by default) has passed; a restart measured before that would measure that timeout.
   */
  void awaitGroupEmpty(String group, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!assignment(group, "").isEmpty()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException(group + " not empty");
      Thread.sleep(200);
    }
  }

  /**
   * Partitions of {@code topic} each member of the group is assigned (as active tasks), by member
   * client id; every member is a key. Works for a classic group and for a KIP-1071 streams group
   * ({@code group.protocol=streams}), which the consumer-group calls do not describe.
   */
  Map<String, List<Integer>> assignment(String group, String topic) throws Exception {
    Map<String, List<Integer>> m = new HashMap<>();
    org.apache.kafka.common.GroupType type =
        admin.listGroups().all().get().stream()
            .filter(g -> g.groupId().equals(group))
            .findFirst()
            .flatMap(g -> g.type())
            .orElse(org.apache.kafka.common.GroupType.CLASSIC);
    if (type == org.apache.kafka.common.GroupType.STREAMS) {
      var d = admin.describeStreamsGroups(List.of(group)).all().get().get(group);
      List<String> subs =
          d.subtopologies().stream()
              .filter(s -> s.sourceTopics().contains(topic))
              .map(s -> s.subtopologyId())
              .toList();
      for (var member : d.members()) {
        List<Integer> ps = m.computeIfAbsent(member.clientId(), k -> new ArrayList<>());
        for (var t : member.assignment().activeTasks()) {
          if (subs.contains(t.subtopologyId())) ps.addAll(t.partitions());
        }
      }
      return m;
    }
    for (var member :
        admin.describeConsumerGroups(List.of(group)).all().get().get(group).members()) {
      List<Integer> ps = m.computeIfAbsent(member.clientId(), k -> new ArrayList<>());
      for (TopicPartition tp : member.assignment().topicPartitions()) {
        if (tp.topic().equals(topic)) ps.add(tp.partition());
      }
    }
    return m;
  }

  KafkaConsumer<String, byte[]> committedConsumer(String... topics) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : topics) {
      for (int i = 0; i < PARTITIONS; i++) tps.add(new TopicPartition(t, i));
    }
    c.assign(tps);
    c.seekToBeginning(tps);
    return c;
  }

  /**
   * Reads the topics (read_committed) until {@code done} says so or nothing new came for {@code
   * quiet}; each record goes to {@code each}.
   */
  void consume(
      List<String> topics,
      BiConsumer<String, ConsumerRecord<String, byte[]>> each,
      java.util.function.BooleanSupplier done,
      Duration quiet) {
    try (KafkaConsumer<String, byte[]> c = committedConsumer(topics.toArray(String[]::new))) {
      long last = System.nanoTime();
      while (!done.getAsBoolean() && System.nanoTime() - last < quiet.toNanos()) {
        var recs = c.poll(Duration.ofMillis(200));
        if (!recs.isEmpty()) last = System.nanoTime();
        for (ConsumerRecord<String, byte[]> r : recs) each.accept(r.topic(), r);
      }
    }
  }

  /** The average value size of a topic's records (tombstones left out), read to its end. */
  int averageValueSize(String topic) {
    long[] c = new long[2];
    consume(
        List.of(topic),
        (t, r) -> {
          if (r.value() != null) {
            c[0]++;
            c[1] += r.value().length;
          }
        },
        () -> false,
        Duration.ofSeconds(2));
    return c[0] == 0 ? 0 : (int) (c[1] / c[0]);
  }

  // ---------------------------------------------------------------- the two topologies

  /** Kafka Streams settings both topologies get. */
  Map<String, Object> streamsProps(String appId, Map<String, Object> overrides) {
    Map<String, Object> m = new HashMap<>(StatewardenConfig.streamsDefaults());
    m.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    m.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    m.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    m.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").resolve(appId).toString());
    m.put("apicurio.registry.url", registry.url());
    m.putAll(kvs(prop("bench.extra", "")));
    m.putAll(overrides);
    return m;
  }

  /** One output record per input, unchanged. */
  static Topology passThrough(String in, String out) {
    Topology t = new Topology();
    t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), in);
    t.addProcessor(
        "pass",
        () ->
            new Processor<byte[], byte[], byte[], byte[]>() {
              private ProcessorContext<byte[], byte[]> ctx;

              @Override
              public void init(ProcessorContext<byte[], byte[]> context) {
                ctx = context;
              }

              @Override
              public void process(Record<byte[], byte[]> r) {
                ctx.forward(r);
              }
            },
        "in");
    t.addSink("out", out, new ByteArraySerializer(), new ByteArraySerializer(), "pass");
    return t;
  }

  /**
   * The least any implementation of statewarden's contract does per event: read the session from a
   * changelogged RocksDB store, write it back, and publish two records (a transition and an audit
   * record). Here the "session" is the input bytes and both outputs are the input bytes: no engine,
   * no serdes, no deadlines.
   */
  /**
   * The value sizes the minimal stateful topology writes: its stored value and its two outputs
   * (bytes; 0 keeps the input's value as it is).
   */
  record Sizes(int stored, int out1, int out2) {
    static final Sizes INPUT = new Sizes(0, 0, 0);

    /** {@code value} cut or padded to {@code size} bytes: a new array, like a serializer's. */
    static byte[] of(byte[] value, int size) {
      return size <= 0 ? value : Arrays.copyOf(value, size);
    }
  }

  /**
   * Per input record: one store read, one store write and two outputs, the work statewarden's
   * contract needs (a session read and write, a transition and an audit record), with no decision.
   */
  static Topology minimalStateful(String in, String out, Sizes sizes) {
    Topology t = new Topology();
    t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), in);
    t.addProcessor(
        "state",
        () ->
            new Processor<byte[], byte[], byte[], byte[]>() {
              private ProcessorContext<byte[], byte[]> ctx;
              private KeyValueStore<Bytes, byte[]> store;

              @Override
              public void init(ProcessorContext<byte[], byte[]> context) {
                ctx = context;
                store = context.getStateStore("state");
              }

              @Override
              public void process(Record<byte[], byte[]> r) {
                Bytes k = Bytes.wrap(r.key());
                byte[] before = store.get(k);
                store.put(k, Sizes.of(r.value(), sizes.stored()));
                ctx.forward(r.withValue(Sizes.of(r.value(), sizes.out1())), "out1");
                ctx.forward(
                    r.withValue(Sizes.of(before == null ? r.value() : before, sizes.out2())),
                    "out2");
              }
            },
        "in");
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore("state"), Serdes.Bytes(), Serdes.ByteArray()),
        "state");
    t.addSink("out1", out, new ByteArraySerializer(), new ByteArraySerializer(), "state");
    t.addSink("out2", out + "2", new ByteArraySerializer(), new ByteArraySerializer(), "state");
    return t;
  }

  /**
   * The value sizes the storm floor writes (bytes): its stored value, and a transition, an audit
   * record and a backout.
   */
  record StormSizes(int stored, int transition, int audit, int backout) {}

  /**
   * The least any implementation of the contract does in a timer storm ({@link StormCase}'s floor):
   * per input record a store read, a store write, a transition and an audit record (as {@link
   * #minimalStateful}); a session whose key starts with {@code storm-} is, on its first record,
   * also given a deadline {@code timeoutMs} after that record's time, in an in-memory time-ordered
   * queue (not rebuilt if the task restarts: a lost fire shows as the runner's "WARNING: n of m").
   * A wall-clock punctuation every {@code intervalMs} fires up to {@code maxFires} due deadlines,
   * in due order: per fire a store read, a store write, a transition, an audit record and a
   * backout, stamped with the deadline. No engine, no serdes, no timer records in the log
   * (statewarden writes one per punctuation, not per fire), no session list.
   */
  static Topology stormFloor(
      String in, String out, StormSizes sizes, long timeoutMs, long intervalMs, int maxFires) {
    Topology t = new Topology();
    t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), in);
    t.addProcessor(
        "state",
        () ->
            new Processor<byte[], byte[], byte[], byte[]>() {
              private ProcessorContext<byte[], byte[]> ctx;
              private KeyValueStore<Bytes, byte[]> store;
              private final java.util.PriorityQueue<Map.Entry<Long, byte[]>> due =
                  new java.util.PriorityQueue<>(Map.Entry.comparingByKey());

              @Override
              public void init(ProcessorContext<byte[], byte[]> context) {
                ctx = context;
                store = context.getStateStore("state");
                context.schedule(
                    Duration.ofMillis(intervalMs),
                    org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    this::fire);
              }

              @Override
              public void process(Record<byte[], byte[]> r) {
                Bytes k = Bytes.wrap(r.key());
                byte[] before = store.get(k);
                store.put(k, Sizes.of(r.value(), sizes.stored()));
                ctx.forward(r.withValue(Sizes.of(r.value(), sizes.transition())), "out1");
                ctx.forward(
                    r.withValue(Sizes.of(before == null ? r.value() : before, sizes.audit())),
                    "out2");
                if (before == null
                    && new String(r.key(), StandardCharsets.UTF_8).startsWith("storm-")) {
                  due.add(Map.entry(r.timestamp() + timeoutMs, r.key()));
                }
              }

              private void fire(long now) {
                for (int n = 0; n < maxFires && !due.isEmpty() && due.peek().getKey() <= now; n++) {
                  Map.Entry<Long, byte[]> d = due.poll();
                  Bytes k = Bytes.wrap(d.getValue());
                  byte[] before = store.get(k);
                  if (before == null) continue;
                  store.put(k, Sizes.of(before, sizes.stored()));
                  Record<byte[], byte[]> r = new Record<>(d.getValue(), before, d.getKey());
                  ctx.forward(r.withValue(Sizes.of(before, sizes.transition())), "out1");
                  ctx.forward(r.withValue(Sizes.of(before, sizes.audit())), "out2");
                  ctx.forward(r.withValue(Sizes.of(before, sizes.backout())), "out3");
                }
              }
            },
        "in");
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore("state"), Serdes.Bytes(), Serdes.ByteArray()),
        "state");
    t.addSink("out1", out, new ByteArraySerializer(), new ByteArraySerializer(), "state");
    t.addSink("out2", out + "2", new ByteArraySerializer(), new ByteArraySerializer(), "state");
    t.addSink("out3", out + "3", new ByteArraySerializer(), new ByteArraySerializer(), "state");
    return t;
  }

  /** A running {@link #stormFloor} instance. */
  KafkaStreams startStormFloor(
      String appId,
      String in,
      String out,
      StormSizes sizes,
      long timeoutMs,
      long intervalMs,
      int maxFires,
      Map<String, Object> o) {
    createTopics(out, out + "2", out + "3");
    return start(stormFloor(in, out, sizes, timeoutMs, intervalMs, maxFires), appId, o);
  }

  /** A running pass-through instance. */
  KafkaStreams startPassThrough(String appId, String in, String out, Map<String, Object> o) {
    createTopics(out);
    return start(passThrough(in, out), appId, o);
  }

  /** A running {@link #minimalStateful} instance. */
  KafkaStreams startMinimalStateful(
      String appId, String in, String out, Sizes sizes, Map<String, Object> o) {
    createTopics(out, out + "2");
    return start(minimalStateful(in, out, sizes), appId, o);
  }

  private KafkaStreams start(Topology t, String appId, Map<String, Object> o) {
    Properties p = new Properties();
    p.putAll(streamsProps(appId, o));
    KafkaStreams ks = new KafkaStreams(t, p);
    ks.start();
    return ks;
  }

  /** The output topics of one statewarden run, all prefixed by its application id. */
  record SwTopics(String events, String transitions, String backouts, String audit, String dlq) {
    static SwTopics of(String appId) {
      return new SwTopics(
          appId + ".events",
          appId + ".transitions",
          appId + ".backouts",
          appId + ".audit",
          appId + ".dlq");
    }
  }

  /** A running statewarden instance started the way {@code run} starts it. */
  StatewardenApp startStatewarden(String appId, String jsonIn, Map<String, Object> o)
      throws Exception {
    return startStatewarden(appId, jsonIn, null, o);
  }

  /** With {@code avroIn} null, the Avro input topic is an empty one of its own. */
  StatewardenApp startStatewarden(String appId, String jsonIn, String avroIn, Map<String, Object> o)
      throws Exception {
    return StatewardenApp.start(
        new StatewardenConfig(statewardenSettings(appId, jsonIn, avroIn, o)));
  }

  /**
   * statewarden as a separate JVM ({@code java -jar statewarden.jar run}), so it can be killed with
   * SIGKILL; its HTTP API on {@code httpPort}, its state under {@code state/<appId>-<name>}.
   */
  Process startStatewardenProcess(
      String appId, String jsonIn, Map<String, Object> o, String name, int httpPort)
      throws Exception {
    Map<String, Object> m = new HashMap<>(statewardenSettings(appId, jsonIn, null, o));
    m.put(StatewardenConfig.HTTP_PORT, httpPort);
    m.put(StatewardenConfig.INSTANCE_ID, name);
    m.put(StreamsConfig.CLIENT_ID_CONFIG, appId + "-" + name);
    m.put(
        StreamsConfig.STATE_DIR_CONFIG,
        dir.resolve("state").resolve(appId + "-" + name).toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Xmx512m");
    extraJvmArgs("bench.instance.jvm").forEach(cmd::add);
    cmd.add("-jar");
    cmd.add(dir.resolveSibling("statewarden.jar").toString());
    cmd.add("run");
    m.forEach(
        (k, v) -> {
          cmd.add("-D");
          cmd.add(k + "=" + v);
        });
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(appId + "-" + name + ".log").toFile())
        .start();
  }

  /**
   * Extra JVM arguments for a child process, space-separated (e.g. a logback file, for a timeline).
   */
  static List<String> extraJvmArgs(String property) {
    String v = prop(property, "").trim();
    return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
  }

  private Map<String, Object> statewardenSettings(
      String appId, String jsonIn, String avroIn, Map<String, Object> o) {
    SwTopics t = SwTopics.of(appId);
    createTopics(t.events(), jsonIn, t.transitions(), t.backouts(), t.audit(), t.dlq());
    Map<String, Object> m = streamsProps(appId, o);
    m.put(StatewardenConfig.TOPIC_EVENTS, avroIn == null ? t.events() : avroIn);
    m.put(StatewardenConfig.TOPIC_EVENTS_JSON, jsonIn);
    m.put(StatewardenConfig.TOPIC_TRANSITIONS, t.transitions());
    m.put(StatewardenConfig.TOPIC_BACKOUTS, t.backouts());
    m.put(StatewardenConfig.TOPIC_AUDIT, t.audit());
    m.put(StatewardenConfig.TOPIC_DLQ, t.dlq());
    m.put(StatewardenConfig.HTTP_PORT, 0);
    m.put(StatewardenConfig.INSTANCE_ID, "bench");
    m.put(StatewardenConfig.SIGNING_KEY, io.statewarden.testsupport.Deployment.SIGNING_KEY);
    return m;
  }

  static void awaitRunning(KafkaStreams ks, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ks.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || ks.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("streams not running: " + ks.state());
      }
      Thread.sleep(20);
    }
  }

  String nextAppId(String kind) {
    return "r" + (++runNo) + "-" + kind;
  }

  /** Figures of one catch-up run. */
  /**
   * One timed run: stream-thread CPU, this JVM's CPU (the stream thread, its producer and consumer
   * threads, RocksDB; the benchmark's own threads are idle while an instance catches up) and the
   * broker's (NaN when it shares this JVM), each per input record.
   */
  record Run(
      String name,
      long records,
      double seconds,
      double cpuUsPerRecord,
      double jvmCpuUsPerRecord,
      double brokerCpuUsPerRecord) {
    double perSecond() {
      return records / seconds;
    }
  }

  static long jvmCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Times a started instance through {@code records} input records already in the topic: from
   * RUNNING to all input offsets committed. CPU is the stream thread's own.
   */
  Run timeCatchUp(String name, KafkaStreams ks, String appId, String topic, long records)
      throws Exception {
    return timeCatchUp(name, ks, appId, topic, records, null);
  }

  /**
   * From {@code RUNNING} until the input is committed, and then, if {@code thenTopic} is given
   * (statewarden's events topic, where JSON input is copied to), until that is committed too.
   */
  Run timeCatchUp(
      String name, KafkaStreams ks, String appId, String topic, long records, String thenTopic)
      throws Exception {
    // with several threads, one may process before the others are assigned and the instance is
    // RUNNING: the clock starts at RUNNING or at the first commit, and counts what is left then
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long done = 0;
    while (ks.state() != KafkaStreams.State.RUNNING && (done = committedSum(appId, topic)) == 0) {
      if (System.nanoTime() > deadline || ks.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("streams not running: " + ks.state());
      }
      Thread.sleep(10);
    }
    long cpu0 = streamThreadCpu(appId);
    long jvm0 = jvmCpu();
    long broker0 = kafka.cpuNanos();
    Map<String, Long> threads0 = threadCpu();
    Map<String, Long> native0 = nativeThreadCpu();
    long[] gc0 = gc();
    long t0 = System.nanoTime();
    awaitCommitted(appId, topic, records, Duration.ofMinutes(10));
    if (thenTopic != null) {
      awaitCommitted(appId, thenTopic, endOffsetSum(thenTopic), Duration.ofMinutes(10));
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    long cpu = streamThreadCpu(appId) - cpu0;
    long jvm = jvmCpu() - jvm0;
    long broker = broker0 < 0 ? -1 : kafka.cpuNanos() - broker0;
    long n = records - done;
    System.out.println(
        "    "
            + name
            + ", the JVM's CPU besides the stream thread, us/record: "
            + otherCpu(threads0, threadCpu(), jvm - cpu, n)
            + gcSince(gc0, secs)
            + nativeSince(native0, n));
    return new Run(
        name, n, secs, cpu / 1e3 / n, jvm / 1e3 / n, broker < 0 ? Double.NaN : broker / 1e3 / n);
  }

  /**
   * CPU time of every live thread the JVM lists, by name with its numbers and ids blanked, so the
   * threads of one kind add up (e.g. every {@code kafka-producer-network-thread | #-sw-#}).
   */
  static Map<String, Long> threadCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> m = new HashMap<>();
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti == null) continue;
      long c = mx.getThreadCpuTime(ti.getThreadId());
      if (c <= 0) continue;
      String kind =
          ti.getThreadName()
              .replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "#")
              .replaceAll("r[0-9]+-", "")
              .replaceAll("[0-9]+", "#");
      m.merge(kind + "@" + ti.getThreadId(), c, Long::sum);
    }
    return m;
  }

  /**
   * The JVM's CPU besides its stream threads over a run, per record: the listed threads that used
   * the most, and what no listed thread used (the garbage collector, the JIT compilers, the VM).
   */
  static String otherCpu(Map<String, Long> before, Map<String, Long> after, long others, long n) {
    Map<String, Long> byKind = new HashMap<>();
    long listed = 0;
    long producer = 0;
    for (var e : after.entrySet()) {
      String kind = e.getKey().substring(0, e.getKey().lastIndexOf('@'));
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (d <= 0) continue;
      if (kind.contains("StreamThread")) {
        // counted in the stream-thread column (streamThreadCpu), as every figure before it was
        if (kind.endsWith("-producer")) producer += d;
        continue;
      }
      byKind.merge(kind, d, Long::sum);
      listed += d;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(
        f(
            "%.1f in all; unlisted (GC, JIT, VM) %.1f",
            others / 1e3 / n, (others - listed) / 1e3 / n));
    byKind.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(5)
        .forEach(e -> sb.append(f("; %s %.1f", e.getKey(), e.getValue() / 1e3 / n)));
    return sb.append(
            f(
                " (the stream-thread column includes its producer's network thread: %.1f)",
                producer / 1e3 / n))
        .toString();
  }

  /**
   * The CPU of the JVM's threads that no Java API lists (the garbage collector's, the JIT
   * compilers', the VM's, RocksDB's), nanoseconds per thread, keyed by its Linux name with digits
   * blanked and {@code @} its id, from {@code /proc/self/task}; empty where that cannot be read.
   * Clock-tick resolution (10 ms).
   */
  static Map<String, Long> nativeThreadCpu() {
    Map<String, Long> m = new HashMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc/self/task");
    try (var dirs = java.nio.file.Files.list(tasks)) {
      for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) dirs::iterator) {
        try {
          String comm = java.nio.file.Files.readString(t.resolve("comm")).trim();
          if (!comm.matches(NATIVE_THREADS)) continue;
          String stat = java.nio.file.Files.readString(t.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
          // by thread: the JVM starts and stops compiler threads as its load changes
          m.put(comm.replaceAll("[0-9]+", "#") + "@" + t.getFileName(), ticks * 10_000_000L);
        } catch (java.io.IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (java.io.IOException e) {
      return Map.of();
    }
    return m;
  }

  /** The Linux names of the JVM's own threads and RocksDB's (15 characters at most). */
  static final String NATIVE_THREADS =
      "(C[12] CompilerThre|GC Thread#|G1 |VM Thread|VM Periodic|rocksdb:|Sweeper|Service Thread).*";

  static String nativeSince(Map<String, Long> before, long n) {
    Map<String, Long> now = nativeThreadCpu();
    if (now.isEmpty()) return "";
    Map<String, Long> byName = new HashMap<>();
    now.forEach(
        (k, v) ->
            byName.merge(
                k.substring(0, k.lastIndexOf('@')), v - before.getOrDefault(k, 0L), Long::sum));
    StringBuilder sb = new StringBuilder("; of the unlisted, by Linux thread name:");
    byName.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(6)
        .forEach(e -> sb.append(f(" %s %.1f;", e.getKey(), e.getValue() / 1e3 / n)));
    return sb.toString();
  }

  /** Collections and their time (ms, as the collectors' beans count it) since the JVM started. */
  static long[] gc() {
    long[] g = new long[2];
    for (var b : ManagementFactory.getGarbageCollectorMXBeans()) {
      g[0] += Math.max(0, b.getCollectionCount());
      g[1] += Math.max(0, b.getCollectionTime());
    }
    return g;
  }

  static String gcSince(long[] before, double secs) {
    long[] now = gc();
    return f(
        "; GC: %d collections, %d ms (%.1f%% of the run)",
        now[0] - before[0], now[1] - before[1], (now[1] - before[1]) / 10.0 / secs);
  }

  static long streamThreadCpu(String appId) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti != null
          && ti.getThreadName().contains(appId)
          && ti.getThreadName().contains("StreamThread")) {
        long c = mx.getThreadCpuTime(ti.getThreadId());
        if (c > 0) sum += c;
      }
    }
    return sum;
  }

  // ---------------------------------------------------------------- verification

  /** Output counts of a statewarden run, read_committed. */
  /**
   * Output counts of a statewarden run, read_committed, and the value bytes of its transitions and
   * of its audit and backout records together.
   */
  record Counts(
      long transitions,
      long audits,
      long backouts,
      long dlq,
      Map<String, Long> perKey,
      long transitionBytes,
      long auditAndBackoutBytes) {}

  Counts countOutputs(String appId, Workload.Expected expected, Duration quiet) {
    SwTopics t = SwTopics.of(appId);
    long[] c = new long[6];
    Map<String, Long> perKey = new HashMap<>();
    consume(
        List.of(t.transitions(), t.audit(), t.backouts(), t.dlq()),
        (topic, r) -> {
          int size = r.value() == null ? 0 : r.value().length;
          if (topic.equals(t.transitions())) {
            c[0]++;
            c[4] += size;
            perKey.merge(r.key(), 1L, Long::sum);
          } else if (topic.equals(t.audit()) || topic.equals(t.backouts())) {
            c[topic.equals(t.audit()) ? 1 : 2]++;
            c[5] += size;
          } else c[3]++;
        },
        () ->
            expected != null
                && c[0] >= expected.transitions()
                && c[1] >= expected.audits()
                && c[2] >= expected.backouts(),
        quiet);
    return new Counts(c[0], c[1], c[2], c[3], perKey, c[4], c[5]);
  }

  /** Throws unless the outputs are exactly the expected ones. */
  static String verify(Counts got, Workload.Expected want) {
    List<String> bad = new ArrayList<>();
    if (got.transitions() != want.transitions())
      bad.add("transitions " + got.transitions() + " != " + want.transitions());
    if (got.audits() != want.audits()) bad.add("audits " + got.audits() + " != " + want.audits());
    if (got.backouts() != want.backouts())
      bad.add("backouts " + got.backouts() + " != " + want.backouts());
    if (got.dlq() != 0) bad.add("dlq " + got.dlq() + " != 0");
    if (bad.isEmpty() && !got.perKey().equals(want.seqBySession())) {
      bad.add("per-session transition counts differ from the sessions' seq");
    }
    if (!bad.isEmpty()) {
      List<String> diff = new ArrayList<>();
      want.seqBySession()
          .forEach(
              (k, v) -> {
                Long g = got.perKey().get(k);
                if (!v.equals(g) && diff.size() < 10) diff.add(k + " want " + v + " got " + g);
              });
      throw new IllegalStateException("outputs not exact: " + bad + " e.g. " + diff);
    }
    return String.format(
        "exact: %,d transitions (per session = seq), %,d audits, %,d backouts, 0 dlq",
        got.transitions(), got.audits(), got.backouts());
  }

  // ---------------------------------------------------------------- small things

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) return -1;
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static long[] sorted(List<Long> xs) {
    long[] a = xs.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(a);
    return a;
  }

  static long heapAfterGcMiB() {
    for (int i = 0; i < 3; i++) System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
  }

  static long rssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
        }
      }
    } catch (IOException e) {
      // not on Linux
    }
    return -1;
  }

  static void table(String title, List<String> header, List<List<String>> rows) {
    System.out.println();
    System.out.println("### " + title);
    System.out.println("| " + String.join(" | ", header) + " |");
    System.out.println(
        "|"
            + String.join("|", header.stream().map(h -> "---").toList()).replace("---", "---:")
            + "|");
    for (List<String> r : rows) System.out.println("| " + String.join(" | ", r) + " |");
    System.out.flush();
  }

  static String f(String fmt, Object... args) {
    return String.format(Locale.ROOT, fmt, args);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static final AtomicLong SEQ = new AtomicLong();
}
