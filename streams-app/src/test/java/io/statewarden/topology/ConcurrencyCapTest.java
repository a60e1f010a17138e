package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.RejectReason;
import io.statewarden.state.SessionIndex;
import java.util.List;
import java.util.TreeSet;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

/**
 * {@code maxConcurrentSessions} through the real processor and store ({@link TaskHarness}): the
 * creation past the partition's share is rejected CONCURRENCY_LIMIT, a session that ends frees its
 * place, and the count survives a restart because it is read back from the store. Also: the session
 * list index equals the sessions after a restart, and is rebuilt for a store that has none.
 */
class ConcurrencyCapTest {
  static final long T = 1_767_225_600_000L;

  static final String CAPPED =
      """
      protocol: capped
      version: 1
      initial: OPEN
      start: [Open]
      maxConcurrentSessions: 2
      sessionTimeout: {after: 10s, to: TIMED_OUT}
      states:
        OPEN:
          on:
            Step: OPEN
            Done: DONE
        DONE: {final: COMPLETED}
        TIMED_OUT: {final: BACKED_OUT}
      """;

  static Engine engine(int partitions) {
    try {
      ProtocolCatalog c = new ProtocolCatalog();
      c.add(new ProtocolLoader().load("capped.yaml", CAPPED));
      return new Engine(c, EngineConfig.DEFAULTS, partitions);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Event ev(String session, String id, String type, long t) {
    return Event.of(session, id, "capped", type, t);
  }

  TaskHarness task = new TaskHarness(engine(1), 1000, T);

  void drain() {
    while (task.deliver()) {}
  }

  AuditRecord lastAudit() {
    return task.audits.get(task.audits.size() - 1);
  }

  @Test
  void shouldRejectTheCreationPastTheCapWithItsOwnReason() {
    // given two live sessions
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    drain();
    // when a third is created
    task.produce(ev("s3", "e3", "Open", T + 2));
    drain();
    // then
    assertThat(lastAudit().getDecision()).isEqualTo(Decision.REJECTED);
    assertThat(lastAudit().getReason()).isEqualTo(RejectReason.CONCURRENCY_LIMIT);
    assertThat(lastAudit().getDetail()).contains("fewer than 2 live sessions of capped");
    assertThat(task.stored("s3")).isFalse();
    // and events of the live ones still apply
    task.produce(ev("s1", "e4", "Step", T + 3));
    drain();
    assertThat(lastAudit().getDecision()).isEqualTo(Decision.ACCEPTED);
  }

  @Test
  void shouldAcceptANewSessionOnceOneEnded() {
    // given the cap reached
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    task.produce(ev("s3", "e3", "Open", T + 2));
    drain();
    assertThat(lastAudit().getReason()).isEqualTo(RejectReason.CONCURRENCY_LIMIT);
    // when one ends (kept, final, for its retention: not live)
    task.produce(ev("s1", "e4", "Done", T + 3));
    task.produce(ev("s3", "e5", "Open", T + 4));
    drain();
    // then
    assertThat(lastAudit().getDecision()).isEqualTo(Decision.ACCEPTED);
    assertThat(task.stored("s3")).isTrue();
  }

  @Test
  void shouldFreeThePlaceOfASessionThatTimedOut() {
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    drain();
    // when s1 and s2 time out (their timers are logged and read back)
    task.punctuate(T + 20_000);
    drain();
    task.produce(ev("s3", "e3", "Open", T + 20_001));
    drain();
    // then
    assertThat(lastAudit().getDecision()).isEqualTo(Decision.ACCEPTED);
  }

  @Test
  void shouldKeepTheCountAcrossARestart() {
    // given the cap reached, then the task restarts from its committed store
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    drain();
    task.restart();
    // when
    task.produce(ev("s3", "e3", "Open", T + 2));
    drain();
    // then
    assertThat(lastAudit().getReason()).isEqualTo(RejectReason.CONCURRENCY_LIMIT);
  }

  @Test
  void shouldGiveEachPartitionItsShareRoundedUp() {
    // given cap 2 over 3 partitions: ceil(2 / 3) = 1 per partition
    task = new TaskHarness(engine(3), 1000, T);
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    drain();
    // then
    assertThat(task.audits)
        .extracting(AuditRecord::getReason)
        .containsExactly(null, RejectReason.CONCURRENCY_LIMIT);
    assertThat(lastAudit().getDetail()).contains("maxConcurrentSessions 2 over 3 partitions");
  }

  @Test
  void shouldDecideTheSameInAReplayOfTheLog() {
    // given a run with creations, rejections, endings and timeouts
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    task.produce(ev("s3", "e3", "Open", T + 2));
    task.produce(ev("s1", "e4", "Done", T + 3));
    task.produce(ev("s3", "e5", "Open", T + 4));
    drain();
    task.punctuate(T + 20_000);
    drain();
    task.produce(ev("s4", "e6", "Open", T + 20_001));
    drain();
    // when the same log (timers included) is read by a fresh task
    TaskHarness replay = new TaskHarness(engine(1), 1000, T);
    replay.log.addAll(task.log);
    while (replay.deliver()) {}
    // then the same decisions (processedAt, a processing-time field, aside)
    assertThat(replay.audits).hasSize(task.audits.size());
    replay.audits.forEach(a -> a.setProcessedAt(null));
    task.audits.forEach(a -> a.setProcessedAt(null));
    assertThat(replay.audits).isEqualTo(task.audits);
    assertThat(task.audits)
        .extracting(AuditRecord::getReason)
        .contains(RejectReason.CONCURRENCY_LIMIT);
  }

  @Test
  void shouldKeepTheListIndexEqualToTheSessionsAcrossARestart() {
    // given sessions created, moved, ended and timed out
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    task.produce(ev("s1", "e3", "Step", T + 5));
    task.produce(ev("s2", "e4", "Done", T + 6));
    drain();
    task.punctuate(T + 20_000);
    drain();
    task.produce(ev("s5", "e5", "Open", T + 20_001));
    drain();
    List<String> before = indexKeys();
    assertThat(before).isEqualTo(expectedKeys()).hasSize(3);
    // when the task restarts from its committed stores
    task.restart();
    task.produce(ev("s5", "e6", "Step", T + 20_002));
    drain();
    // then
    assertThat(indexKeys()).isEqualTo(expectedKeys());
  }

  @Test
  void shouldRebuildTheListIndexFromTheSessionsWheneverTheTaskStarts() {
    // given sessions stored and indexed
    task.produce(ev("s1", "e1", "Open", T));
    task.produce(ev("s2", "e2", "Open", T + 1));
    task.produce(ev("s2", "e3", "Done", T + 2));
    drain();
    List<String> before = indexKeys();
    assertThat(before).isEqualTo(expectedKeys()).hasSize(2);
    // when the task starts again: the index has no changelog, its store starts empty
    task.restart();
    // then it lists every session before the task processes anything
    assertThat(indexKeys()).isEqualTo(before);
    // and when a store is kept across a start with a key no session has (the worst it could hold)
    task.restartWithStaleIndex("capped/1/OPEN/8000000000000000/ghost");
    // then the index is the sessions' again, ghost gone
    assertThat(indexKeys()).isEqualTo(before);
    task.produce(ev("s3", "e4", "Open", T + 3));
    drain();
    assertThat(indexKeys()).isEqualTo(expectedKeys()).hasSize(3);
  }

  List<String> indexKeys() {
    List<String> keys = new java.util.ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = task.indexStore.all()) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    return keys;
  }

  List<String> expectedKeys() {
    TreeSet<String> keys = new TreeSet<>();
    for (String id : task.storedIds()) keys.add(SessionIndex.key(task.session(id)));
    return List.copyOf(keys);
  }
}
