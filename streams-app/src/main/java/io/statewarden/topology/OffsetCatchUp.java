package io.statewarden.topology;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CatchUp} by offsets: one background thread per instance advances the {@link CatchUpGate}
 * of every task that started and is not open yet, every {@value #TICK_MS} ms, with an Admin client
 * (partitions, the JSON topic's read_committed end offsets, the events partition's high watermark,
 * the group's committed offsets, read once per tick) and, only where a committed offset stalls
 * short of its target, a read_committed consumer (one, kept) that looks for records between them. A
 * client failure (a broker down) leaves the gates closed until a later tick succeeds: no deadline
 * is logged while the inputs cannot be read.
 */
public final class OffsetCatchUp implements CatchUp, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetCatchUp.class);
  static final long TICK_MS = 200;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration LOOK_TIMEOUT = Duration.ofSeconds(2);
  private static final int LOOK_FETCH_BYTES = 64 * 1024;

  private final String eventsTopic;
  private final String jsonTopic;
  private final Admin admin;
  private final Map<String, Object> consumerConfig;
  private final Set<CatchUpGate> pending = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread;
  private volatile boolean closed;
  private final KafkaLog log = new KafkaLog();

  /**
   * @param adminConfig the Admin client's configuration (the application's, with its security)
   * @param consumerConfig a consumer's configuration without a group (the application's restore
   *     consumer configuration fits)
   */
  public OffsetCatchUp(
      String eventsTopic,
      String jsonTopic,
      Map<String, Object> adminConfig,
      Map<String, Object> consumerConfig) {
    this.eventsTopic = eventsTopic;
    this.jsonTopic = jsonTopic;
    this.admin = Admin.create(adminConfig);
    Map<String, Object> c = new HashMap<>(consumerConfig);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    // a look needs the first committed record, not the 1 MiB per partition a consumer fetches by
    // default, which it would parse and check; 64 KiB still steps over many aborted or control
    // batches per round trip, and the broker returns a larger first batch whole (KIP-74)
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, LOOK_FETCH_BYTES);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, LOOK_FETCH_BYTES);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    this.consumerConfig = c;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "statewarden-catchup");
              t.setDaemon(true);
              return t;
            });
    thread.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public Gate open(String applicationId, int partition) {
    CatchUpGate gate =
        new CatchUpGate(applicationId, new TopicPartition(eventsTopic, partition), jsonTopic);
    pending.add(gate);
    return gate;
  }

  private void tick() {
    pending.removeIf(CatchUpGate::isClosed);
    CatchUpGate.Log thisTick = new OneReadPerTick(log);
    for (CatchUpGate gate : pending) {
      try {
        if (gate.advance(thisTick)) {
          pending.remove(gate);
          LOG.info("Task of {} caught up with its input: deadlines fire from now on", gate);
        }
      } catch (RuntimeException e) {
        LOG.debug("Catch-up check of {} failed; retried on the next tick", gate, e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
    boolean stopped = false;
    try {
      stopped = thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (stopped) {
      log.closeLooker(); // the thread that used it is gone
    } else {
      // still in a look: wake it (the one thread-safe call) and let it close its consumer
      LOG.warn("The catch-up thread did not stop within 10 s; its consumer is closed when it does");
      log.wakeLooker();
    }
    admin.close(Duration.ofSeconds(5));
  }

  /**
   * The log as the gates of one tick see it: the group's committed offsets are read once, for every
   * partition, and each gate takes its own from that read, so a tick costs one Admin call for them
   * instead of one or two per waiting task (issue 16: six tasks catching up spent more CPU in this
   * thread than the JVM's other threads together). A new one per tick: nothing is kept longer.
   */
  static final class OneReadPerTick implements CatchUpGate.Log {
    private final CatchUpGate.Log log;
    private final Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();

    OneReadPerTick(CatchUpGate.Log log) {
      this.log = log;
    }

    @Override
    public List<TopicPartition> partitions(String topic) {
      return log.partitions(topic);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
      return log.endOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> highWatermarks(Collection<TopicPartition> partitions) {
      return log.highWatermarks(partitions);
    }

    @Override
    public Map<TopicPartition, Long> committed(
        String group, Collection<TopicPartition> partitions) {
      Map<TopicPartition, Long> all = committed.get(group);
      if (all == null) {
        all = log.committed(group, null); // a failure is not kept: the next gate asks again
        committed.put(group, all);
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      for (TopicPartition tp : partitions) {
        Long o = all.get(tp);
        if (o != null) out.put(tp, o);
      }
      return out;
    }

    @Override
    public boolean hasRecords(TopicPartition partition, Long from, long to) {
      return log.hasRecords(partition, from, to);
    }
  }

  private static <T> T get(KafkaFuture<T> f, String what) {
    try {
      return f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Could not read " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private final class KafkaLog implements CatchUpGate.Log {
    /**
     * The catch-up thread's consumer for {@link #hasRecords}, kept between calls; volatile only so
     * that {@link #wakeLooker} on the closing thread sees it.
     */
    private volatile KafkaConsumer<byte[], byte[]> looker;

    @Override
    public List<TopicPartition> partitions(String topic) {
      TopicDescription d =
          get(admin.describeTopics(List.of(topic)).topicNameValues().get(topic), topic);
      return d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
      return ends(partitions, IsolationLevel.READ_COMMITTED);
    }

    @Override
    public Map<TopicPartition, Long> highWatermarks(Collection<TopicPartition> partitions) {
      return ends(partitions, IsolationLevel.READ_UNCOMMITTED);
    }

    private Map<TopicPartition, Long> ends(
        Collection<TopicPartition> partitions, IsolationLevel isolation) {
      Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
      partitions.forEach(tp -> specs.put(tp, OffsetSpec.latest()));
      if (specs.isEmpty()) {
        return Map.of();
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      get(admin.listOffsets(specs, new ListOffsetsOptions(isolation)).all(), "end offsets")
          .forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    }

    @Override
    public Map<TopicPartition, Long> committed(
        String group, Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          get(
              admin
                  .listConsumerGroupOffsets(
                      Map.of(
                          group,
                          partitions == null
                              ? new ListConsumerGroupOffsetsSpec() // every partition
                              : new ListConsumerGroupOffsetsSpec()
                                  .topicPartitions(List.copyOf(partitions))),
                      // not requireStable: while a task's transaction holds offsets not yet
                      // committed, the broker would answer UNSTABLE_OFFSET_COMMIT for the
                      // partition, which the Admin client leaves out of the answer with a WARN
                      // each time; the last committed offset is what the gate needs (short of the
                      // pending one, so it waits a tick longer, never opens early)
                      new ListConsumerGroupOffsetsOptions().requireStable(false))
                  .partitionsToOffsetAndMetadata(group),
              "the committed offsets of " + group);
      Map<TopicPartition, Long> out = new HashMap<>();
      offsets.forEach(
          (tp, o) -> {
            if (o != null) out.put(tp, o.offset());
          });
      return out;
    }

    /**
     * With one consumer kept for the thread's life: a new one per call (as before issue 16) cost
     * more than the call itself (its configuration, metrics and JMX beans), and a task whose
     * committed offset stays put between two ticks asks on every tick. One that failed is closed
     * and the next call makes a new one.
     */
    @Override
    public boolean hasRecords(TopicPartition tp, Long from, long to) {
      if (closed) {
        throw new IllegalStateException("closed"); // no new consumer once closing
      }
      if (looker == null) {
        looker = new KafkaConsumer<>(consumerConfig);
      }
      try {
        return hasRecords(looker, tp, from, to);
      } catch (RuntimeException e) {
        closeLooker();
        throw e;
      } finally {
        if (closed) closeLooker(); // close() woke it and left it to this thread
      }
    }

    void wakeLooker() {
      KafkaConsumer<byte[], byte[]> c = looker;
      if (c != null) c.wakeup();
    }

    void closeLooker() {
      if (looker != null) {
        try {
          looker.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          LOG.debug("Closing the catch-up consumer failed", e);
        }
        looker = null;
      }
    }

    private boolean hasRecords(
        KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, Long from, long to) {
      consumer.assign(List.of(tp));
      if (from == null) {
        consumer.seekToBeginning(List.of(tp));
      } else {
        consumer.seek(tp, from);
      }
      long deadline = System.nanoTime() + LOOK_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        var records = consumer.poll(Duration.ofMillis(100));
        if (!records.isEmpty()) {
          return records.iterator().next().offset() < to;
        }
        if (consumer.position(tp, CALL_TIMEOUT) >= to) {
          return false;
        }
      }
      return true; // could not tell yet: ask again on the next tick
    }
  }
}
