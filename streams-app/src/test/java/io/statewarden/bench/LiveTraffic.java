package io.statewarden.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Live events at a steady rate (whole taleus-listener foil sessions, 1,000 open at a time, stamped
 * with the wall clock when sent), as JSON or as Avro {@code ProtocolEvent}s, and a read_committed
 * consumer of the transitions topic that notes, per record, when it became visible against its
 * record timestamp.
 */
final class LiveTraffic implements AutoCloseable {
  /** A transition seen by the consumer: key, record timestamp, wall clock when seen. */
  record Seen(String key, long timestamp, long seenAt) {}

  private static final Workload.Script LISTENER = Workload.SCRIPTS.get(0);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong sent = new AtomicLong();
  final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
  private final Thread producer;
  private final Thread consumer;

  LiveTraffic(Bench b, String input, String transitions, String prefix, int ratePerSecond) {
    this(b, input, transitions, prefix, ratePerSecond, false);
  }

  /** With {@code avro}, {@code input} is statewarden's events topic. */
  LiveTraffic(
      Bench b, String input, String transitions, String prefix, int ratePerSecond, boolean avro) {
    consumer =
        new Thread(
            () -> {
              try (KafkaConsumer<String, byte[]> c = b.committedConsumer(transitions)) {
                while (running.get()) {
                  for (ConsumerRecord<String, byte[]> r : c.poll(java.time.Duration.ofMillis(20))) {
                    seen.add(new Seen(r.key(), r.timestamp(), System.currentTimeMillis()));
                  }
                }
              }
            },
            "bench-consumer");
    consumer.start();
    producer =
        new Thread(
            () -> {
              int window = 1000;
              int[] step = new int[window];
              long[] id = new long[window];
              long nextId = 0;
              for (int i = 0; i < window; i++) id[i] = nextId++;
              int slot = 0;
              try (KafkaProducer<String, Object> p = producer(b, avro)) {
                long start = System.nanoTime();
                while (running.get() && ratePerSecond > 0) {
                  long due = (System.nanoTime() - start) * ratePerSecond / 1_000_000_000L;
                  while (sent.get() < due) {
                    String key = prefix + id[slot];
                    String type = LISTENER.types().get(step[slot]);
                    String eventId = key + "-" + step[slot];
                    long now = System.currentTimeMillis();
                    Object value =
                        avro
                            ? Bench.avro(Workload.event(key, eventId, LISTENER, type, now))
                            : Workload.json(key, eventId, LISTENER, type);
                    p.send(new ProducerRecord<>(input, null, now, key, value));
                    sent.incrementAndGet();
                    if (++step[slot] == LISTENER.types().size()) {
                      step[slot] = 0;
                      id[slot] = nextId++;
                    }
                    slot = (slot + 1) % window;
                  }
                  p.flush();
                  Thread.sleep(5);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "bench-producer");
    producer.start();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static KafkaProducer<String, Object> producer(Bench b, boolean avro) {
    return avro ? (KafkaProducer) b.avroProducer() : (KafkaProducer) b.producer();
  }

  long sent() {
    return sent.get();
  }

  /** Latencies (seen minus record time) of the transitions whose key starts with the prefix. */
  List<Long> latencies(String prefix, long fromTs, long toTs) {
    List<Long> out = new ArrayList<>();
    for (Seen s : seen) {
      if (s.key().startsWith(prefix) && s.timestamp() >= fromTs && s.timestamp() < toTs) {
        out.add(s.seenAt() - s.timestamp());
      }
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    producer.join();
    consumer.join();
  }
}
