package io.statewarden.local;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.Topics;
import io.statewarden.registry.RegistryClientSettings;
import io.statewarden.schema.Backout;
import io.statewarden.schema.Transition;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Prints transitions and backouts as a {@code read_committed} consumer sees them. */
public final class OutputTail implements AutoCloseable {
  private final KafkaConsumer<String, Object> consumer;
  private final Thread thread;
  private final AtomicBoolean running = new AtomicBoolean(true);

  public OutputTail(String bootstrap, String registryUrl, Topics topics, PrintStream out) {
    Map<String, Object> c =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG,
            "statewarden-local-tail",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "latest");
    // the serde's registry client on statewarden's managed Vert.x instance, with its time limits
    Map<String, Object> serdeConfig =
        RegistryClientSettings.withDefaults(
            Map.of(
                "apicurio.registry.url",
                registryUrl,
                "apicurio.registry.use-specific-avro-reader",
                "true"));
    AvroKafkaDeserializer<Object> values = new AvroKafkaDeserializer<>();
    values.configure(serdeConfig, false); // clients do not configure serde instances
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), values);
    consumer.subscribe(List.of(topics.transitions(), topics.backouts()));
    thread =
        new Thread(
            () -> {
              try {
                while (running.get()) {
                  for (ConsumerRecord<String, Object> r : consumer.poll(Duration.ofMillis(500))) {
                    out.println(describe(r.value()));
                  }
                }
              } catch (WakeupException e) {
                // closing
              } finally {
                consumer.close();
              }
            },
            "statewarden-tail");
    thread.setDaemon(true);
    thread.start();
  }

  static String describe(Object v) {
    if (v instanceof Transition t) {
      return String.format(
          "transition %-36s #%-2d %s -> %s (%s%s)%s",
          t.getSessionId(),
          t.getSeq(),
          t.getFrom() == null ? "[*]" : t.getFrom(),
          t.getTo(),
          t.getTrigger(),
          t.getEventType() == null ? "" : " " + t.getEventType(),
          t.getFinal$() ? "  " + t.getOutcome() : "");
    }
    if (v instanceof Backout b) {
      return String.format(
          "BACKOUT    %-36s stalled in %s (%s)",
          b.getSessionId(), b.getStalledState(), b.getReason());
    }
    return String.valueOf(v);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    consumer.wakeup();
    thread.join(5_000);
  }
}
