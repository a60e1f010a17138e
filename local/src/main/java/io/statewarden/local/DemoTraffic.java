package io.statewarden.local;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.Topics;
import io.statewarden.registry.RegistryClientSettings;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.sim.DemoSessions;
import io.statewarden.sim.DemoSessions.Script;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps producing sessions of the built-in protocols for {@code local --demo}: most complete, some
 * stop half-way and are backed out by their deadlines. Avro events go through the registry; every
 * third session uses the JSON topic instead, as a service without Avro tooling would.
 */
public final class DemoTraffic implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DemoTraffic.class);

  private final KafkaProducer<String, Object> avro;
  private final KafkaProducer<String, byte[]> json;
  private final Topics topics;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "statewarden-demo");
            t.setDaemon(true);
            return t;
          });
  private final Random random = new Random();
  private int next;

  public DemoTraffic(String bootstrap, String registryUrl, Topics topics) {
    this.topics = topics;
    Map<String, Object> common = new HashMap<>();
    common.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    common.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    common.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // the serde's registry client on statewarden's managed Vert.x instance, with its time limits;
    // a producer as docs/producing-and-consuming.md shows it: it looks up the schema statewarden
    // published at start and registers nothing
    Map<String, Object> serdeConfig =
        RegistryClientSettings.withDefaults(
            Map.of(
                "apicurio.registry.url",
                registryUrl,
                "apicurio.registry.auto-register",
                "false",
                "apicurio.registry.find-latest",
                "true"));
    AvroKafkaSerializer<ProtocolEvent> serializer = new AvroKafkaSerializer<>();
    serializer.configure(serdeConfig, false); // clients do not configure serde instances
    @SuppressWarnings({"unchecked", "rawtypes"})
    org.apache.kafka.common.serialization.Serializer<Object> values =
        (org.apache.kafka.common.serialization.Serializer) serializer;
    avro = new KafkaProducer<>(common, new StringSerializer(), values);
    json = new KafkaProducer<>(common, new StringSerializer(), new ByteArraySerializer());
  }

  /** Starts a new session every {@code everyMs}; each step follows 0.5-2 s after the previous. */
  public void start(long everyMs) {
    timer.scheduleAtFixedRate(this::startSession, 0, everyMs, TimeUnit.MILLISECONDS);
  }

  private void startSession() {
    try {
      int n = next++;
      Script s = DemoSessions.SCRIPTS.get(n % DemoSessions.SCRIPTS.size());
      String id = "demo-" + s.protocol() + "-" + n;
      // one in four stops early and is backed out by a deadline
      int steps =
          random.nextInt(4) == 0 ? 1 + random.nextInt(s.types().size() - 1) : s.types().size();
      boolean asJson = n % 3 == 2;
      long delay = 0;
      for (int i = 0; i < steps; i++) {
        String type = s.types().get(i);
        String eventId = id + "-" + i;
        timer.schedule(() -> send(id, eventId, s, type, asJson), delay, TimeUnit.MILLISECONDS);
        delay += 500 + random.nextInt(1500);
      }
    } catch (RuntimeException e) {
      LOG.warn("demo traffic: {}", e.toString());
    }
  }

  private void send(String id, String eventId, Script s, String type, boolean asJson) {
    try {
      if (asJson) {
        StringBuilder b =
            new StringBuilder("{\"eventId\":\"")
                .append(eventId)
                .append("\",\"sessionId\":\"")
                .append(id)
                .append("\",\"protocol\":\"")
                .append(s.protocol())
                .append("\",\"type\":\"")
                .append(type)
                .append("\",\"source\":\"demo\",\"payload\":{");
        List<String> parts = new ArrayList<>();
        s.payload()
            .forEach(
                (k, v) ->
                    parts.add("\"" + k + "\":" + (v instanceof String ? "\"" + v + "\"" : v)));
        b.append(String.join(",", parts)).append("}}");
        json.send(
            new ProducerRecord<>(
                topics.eventsJson(), id, b.toString().getBytes(StandardCharsets.UTF_8)));
      } else {
        ProtocolEvent e =
            ProtocolEvent.newBuilder()
                .setEventId(eventId)
                .setSessionId(id)
                .setProtocol(s.protocol())
                .setType(type)
                .setPayload(new HashMap<>(s.payload()))
                .setSource("demo")
                .build();
        avro.send(new ProducerRecord<>(topics.events(), id, e));
      }
    } catch (RuntimeException e) {
      LOG.warn("demo traffic: {}", e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    avro.close();
    json.close();
  }
}
