package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The catch-up decision by offsets, against a log kept here: which offsets hold records and which
 * hold transaction markers, and what the group committed. The clients' side ({@link OffsetCatchUp}
 * on a real broker) is covered by RestartWithBacklogIT.
 */
class CatchUpGateTest {
  static final TopicPartition EVENTS = new TopicPartition("events", 1);
  static final TopicPartition JSON0 = new TopicPartition("json", 0);
  static final TopicPartition JSON1 = new TopicPartition("json", 1);

  /** Per partition: true for a record, false for a transaction marker, by offset. */
  final Map<TopicPartition, List<Boolean>> log = new HashMap<>();

  final Map<TopicPartition, Long> committed = new HashMap<>();
  boolean failing;
  int committedReads;

  final CatchUpGate.Log cluster =
      new CatchUpGate.Log() {
        @Override
        public List<TopicPartition> partitions(String topic) {
          check();
          return log.keySet().stream().filter(tp -> tp.topic().equals(topic)).toList();
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
          check();
          Map<TopicPartition, Long> m = new HashMap<>();
          partitions.forEach(tp -> m.put(tp, (long) stable(tp)));
          return m;
        }

        @Override
        public Map<TopicPartition, Long> highWatermarks(Collection<TopicPartition> partitions) {
          check();
          Map<TopicPartition, Long> m = new HashMap<>();
          partitions.forEach(tp -> m.put(tp, (long) entries(tp).size()));
          return m;
        }

        @Override
        public Map<TopicPartition, Long> committed(
            String group, Collection<TopicPartition> partitions) {
          check();
          assertThat(group).isEqualTo("app");
          committedReads++;
          Map<TopicPartition, Long> m = new HashMap<>();
          (partitions == null ? log.keySet() : partitions)
              .forEach(
                  tp -> {
                    if (committed.containsKey(tp)) m.put(tp, committed.get(tp));
                  });
          return m;
        }

        @Override
        public boolean hasRecords(TopicPartition tp, Long from, long to) {
          check();
          List<Boolean> e = entries(tp);
          for (long o = from == null ? 0 : from; o < to && o < stable(tp); o++) {
            if (e.get((int) o)) return true;
          }
          // a read_committed consumer cannot read past the last stable offset: it cannot tell yet
          return to > stable(tp);
        }

        private void check() {
          if (failing) throw new IllegalStateException("broker down");
        }
      };

  /** Per partition, the last stable offset where a transaction is still open (its records last). */
  final Map<TopicPartition, Integer> openFrom = new HashMap<>();

  int stable(TopicPartition tp) {
    return openFrom.getOrDefault(tp, entries(tp).size());
  }

  List<Boolean> entries(TopicPartition tp) {
    return log.computeIfAbsent(tp, k -> new ArrayList<>());
  }

  void append(TopicPartition tp, int records, boolean marker) {
    for (int i = 0; i < records; i++) entries(tp).add(true);
    if (marker) entries(tp).add(false);
  }

  CatchUpGate gate() {
    entries(EVENTS);
    entries(JSON0);
    entries(JSON1);
    return new CatchUpGate("app", EVENTS, "json");
  }

  @Test
  void shouldOpenAtOnceWhenNothingWaitsInAnyInput() {
    CatchUpGate gate = gate();

    assertThat(gate.advance(cluster)).isTrue();
    assertThat(gate.isOpen()).isTrue();
  }

  @Test
  void shouldWaitForEveryJsonPartitionBeforeLookingAtTheEventsPartition() {
    append(JSON0, 10, true);
    append(JSON1, 3, true);
    CatchUpGate gate = gate(); // nothing committed, nothing in the events partition yet

    assertThat(gate.advance(cluster)).as("JSON backlog unread").isFalse();
    committed.put(JSON0, 11L);
    assertThat(gate.advance(cluster)).as("JSON partition 1 still unread").isFalse();
    committed.put(JSON1, 4L);
    append(EVENTS, 13, true); // the normalized backlog reached the events partition
    assertThat(gate.advance(cluster)).as("normalized events not yet processed").isFalse();
    committed.put(EVENTS, 14L);
    assertThat(gate.advance(cluster)).isTrue();
  }

  @Test
  void shouldTakeTheEventsTargetOnlyOnceTheJsonInputCaughtUp() {
    append(EVENTS, 5, true);
    committed.put(EVENTS, 6L); // the Avro backlog alone is done
    append(JSON0, 2, true);
    CatchUpGate gate = gate();

    assertThat(gate.advance(cluster)).isFalse();
    committed.put(JSON0, 3L);
    append(EVENTS, 2, true); // normalized JSON, after the end the task saw at its start
    assertThat(gate.advance(cluster)).as("events target moved past the JSON backlog").isFalse();
    committed.put(EVENTS, 9L);
    assertThat(gate.advance(cluster)).isTrue();
  }

  @Test
  void shouldCountOnlyMarkersOrNothingBetweenCommittedAndEndAsCaughtUp() {
    append(EVENTS, 4, true);
    append(EVENTS, 0, true); // an aborted or empty transaction's marker
    committed.put(EVENTS, 4L); // committed past the last record, short of the end
    CatchUpGate gate = gate();

    assertThat(gate.advance(cluster)).as("not looked at while it may still move").isFalse();
    assertThat(gate.advance(cluster)).as("stalled: only a marker lies ahead").isTrue();
  }

  @Test
  void shouldWaitForRecordsBehindAMissingCommittedOffset() {
    append(EVENTS, 3, true);
    CatchUpGate gate = gate();

    assertThat(gate.advance(cluster)).as("never committed, records waiting").isFalse();
    assertThat(gate.advance(cluster)).as("stalled, but records lie ahead").isFalse();
    committed.put(EVENTS, 2L);
    assertThat(gate.advance(cluster)).isFalse();
    committed.put(EVENTS, 4L);
    assertThat(gate.advance(cluster)).isTrue();
  }

  @Test
  void shouldStayClosedWhileTheClusterCannotBeReadAndNeverCloseAgain() {
    append(EVENTS, 3, true);
    CatchUpGate gate = gate();
    failing = true;

    assertThatThrownBy(() -> gate.advance(cluster)).hasMessageContaining("broker down");
    assertThat(gate.isOpen()).isFalse();
    failing = false;
    committed.put(EVENTS, 4L);
    assertThat(gate.advance(cluster)).isTrue();
    append(EVENTS, 100, true);
    committed.clear();
    assertThat(gate.advance(cluster)).isTrue();
  }

  @Test
  void shouldReadTheCommittedOffsetsOncePerTickForEveryGateAndAfreshOnTheNext() {
    TopicPartition events2 = new TopicPartition("events", 2);
    append(EVENTS, 3, true);
    append(events2, 5, true);
    committed.put(EVENTS, 4L); // caught up
    committed.put(events2, 2L); // records waiting
    CatchUpGate one = gate();
    CatchUpGate two = new CatchUpGate("app", events2, "json");

    var tick = new OffsetCatchUp.OneReadPerTick(cluster);
    assertThat(one.advance(tick)).isTrue();
    assertThat(two.advance(tick)).as("its own offset, not the other gate's").isFalse();
    assertThat(committedReads).as("one read for both gates").isEqualTo(1);

    committed.put(events2, 6L);
    assertThat(two.advance(tick)).as("the same tick: the same read").isFalse();
    var next = new OffsetCatchUp.OneReadPerTick(cluster);
    assertThat(two.advance(next)).as("the next tick reads the commit").isTrue();
    assertThat(committedReads).isEqualTo(2);
  }

  @Test
  void shouldReadAgainInTheSameTickAfterAFailedRead() {
    append(EVENTS, 3, true);
    committed.put(EVENTS, 1L);
    CatchUpGate one = gate();
    CatchUpGate two = gate();
    var first = new OffsetCatchUp.OneReadPerTick(cluster);
    assertThat(one.advance(first)).isFalse();
    assertThat(two.advance(first)).isFalse(); // both past the JSON input, targets taken
    committed.put(EVENTS, 4L);
    var tick = new OffsetCatchUp.OneReadPerTick(cluster);
    failing = true; // the tick's first read of the committed offsets
    assertThatThrownBy(() -> one.advance(tick)).hasMessageContaining("broker down");
    failing = false;

    assertThat(two.advance(tick)).isTrue();
    assertThat(one.advance(tick)).isTrue();
  }

  /**
   * A JSON task's transaction is committed: its input offsets are visible, while its markers on the
   * events partition are still being written, so the normalized events it wrote lie past that
   * partition's last stable offset. The gate must wait for them (with the last stable offset as its
   * target it opened at once).
   */
  @Test
  void shouldWaitForNormalizedEventsWhoseTransactionMarkerIsNotWrittenYet() {
    append(EVENTS, 4, true); // an earlier backlog, read
    committed.put(EVENTS, 5L);
    append(JSON0, 2, true);
    CatchUpGate gate = gate();
    assertThat(gate.advance(cluster)).as("JSON backlog unread").isFalse();

    committed.put(JSON0, 3L); // the JSON task's offsets, visible first
    openFrom.put(EVENTS, 5);
    append(EVENTS, 2, false); // its normalized events at 5 and 6, their marker not yet written
    assertThat(gate.advance(cluster)).as("normalized events not read").isFalse();
    assertThat(gate.advance(cluster)).as("stalled behind events it cannot read yet").isFalse();

    entries(EVENTS).add(false); // the marker: the events are readable
    openFrom.remove(EVENTS);
    assertThat(gate.advance(cluster)).as("readable and not read").isFalse();
    committed.put(EVENTS, 8L);
    assertThat(gate.advance(cluster)).isTrue();
  }
}
