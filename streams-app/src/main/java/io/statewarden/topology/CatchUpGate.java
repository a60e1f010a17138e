package io.statewarden.topology;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * The catch-up decision for one task of the engine, by offsets (docs/decisions/0007): the task may
 * fire deadlines once every input that feeds its sessions has been read up to the end it had when
 * the task started, or had nothing to read.
 *
 * <ol>
 *   <li>The JSON input: every partition of the JSON topic (a JSON record may be keyed to any events
 *       partition) is committed by the application's group up to its end offset taken at the start.
 *       Its normalized events are then in the events topic, because a JSON task commits its input
 *       offsets in the same transaction as its output.
 *   <li>Then the events partition: committed up to its high watermark taken after step 1, which
 *       covers the Avro backlog and the normalized JSON backlog, also while the markers of the
 *       transaction that wrote the last normalized events are still being written.
 * </ol>
 *
 * A committed offset short of its target that has not moved since the previous step still counts as
 * caught up when no committed record lies between them (only transaction markers or aborted
 * records, which a consumer skips without processing, and so Kafka Streams may never commit past);
 * while it moves, the task is still working and nothing needs to be looked at. The JSON topic's end
 * offsets are read_committed (last stable offsets). Advanced by one thread ({@link
 * OffsetCatchUp}'s); {@link #isOpen()} may be read by any.
 */
final class CatchUpGate implements CatchUp.Gate {
  /** What the gate reads from the cluster; every method may throw on a client failure. */
  interface Log {
    List<TopicPartition> partitions(String topic);

    /** Last stable offsets. */
    Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions);

    /** High watermarks: the end offsets with records of open transactions counted. */
    Map<TopicPartition, Long> highWatermarks(Collection<TopicPartition> partitions);

    /**
     * The group's committed offsets; a partition without one is absent. {@code partitions} null:
     * every partition the group has committed.
     */
    Map<TopicPartition, Long> committed(String group, Collection<TopicPartition> partitions);

    /**
     * Whether a committed record lies at an offset in [{@code from}, {@code to}); {@code from} null
     * is the start of the partition.
     */
    boolean hasRecords(TopicPartition partition, Long from, long to);
  }

  private final String group;
  private final TopicPartition events;
  private final String jsonTopic;
  private Map<TopicPartition, Long> jsonTargets;
  private final Set<TopicPartition> jsonPending = new HashSet<>();
  private Long eventsTarget;

  /** Committed offsets seen at the previous step; a partition never committed maps to -1. */
  private final Map<TopicPartition, Long> previous = new java.util.HashMap<>();

  private volatile boolean open;
  private volatile boolean closed;

  /**
   * @param jsonTopic the JSON input topic, or null when the topology has none
   */
  CatchUpGate(String group, TopicPartition events, String jsonTopic) {
    this.group = group;
    this.events = events;
    this.jsonTopic = jsonTopic;
  }

  /**
   * One step of the decision, as far as the log allows now.
   *
   * @return whether the gate is open
   */
  boolean advance(Log log) {
    if (open) {
      return true;
    }
    if (jsonTargets == null) {
      List<TopicPartition> json = jsonTopic == null ? List.of() : log.partitions(jsonTopic);
      jsonTargets = log.endOffsets(json);
      jsonPending.addAll(json);
    }
    if (!jsonPending.isEmpty()) {
      Map<TopicPartition, Long> committed = log.committed(group, jsonPending);
      jsonPending.removeIf(tp -> caughtUp(log, tp, committed.get(tp), jsonTargets.get(tp)));
      if (!jsonPending.isEmpty()) {
        return false;
      }
    }
    if (eventsTarget == null) {
      // the high watermark, not the last stable offset: a JSON task commits its input offsets and
      // its normalized events in one transaction, but the broker writes that transaction's markers
      // to the offsets topic and to the events partition separately, so the offsets (step 1) can
      // be visible while the events partition's last stable offset is still short of the events
      // they stand for. Records past the last stable offset are waited for until their
      // transaction ends: committed, they are read; aborted, they are stepped over
      eventsTarget = log.highWatermarks(List.of(events)).get(events);
    }
    if (caughtUp(log, events, log.committed(group, List.of(events)).get(events), eventsTarget)) {
      open = true;
    }
    return open;
  }

  private boolean caughtUp(Log log, TopicPartition tp, Long committed, Long target) {
    if (target == null || target == 0 || (committed != null && committed >= target)) {
      return true; // nothing was ever written, or read up to the target
    }
    Long before = previous.put(tp, committed == null ? -1 : committed);
    boolean stalled = before != null && before == (committed == null ? -1 : committed);
    return stalled && !log.hasRecords(tp, committed, target);
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return events
        + (open
            ? " open"
            : jsonPending.isEmpty() && jsonTargets != null
                ? " waiting for events up to " + eventsTarget
                : " waiting for JSON " + jsonPending);
  }
}
