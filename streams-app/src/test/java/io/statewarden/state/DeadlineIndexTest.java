package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeadlineIndexTest {
  final DeadlineIndex index = new DeadlineIndex();

  @Test
  void shouldTakeDueEntriesEarlierSecondsFirstUpToTheLimit() {
    index.move("b", Session.NONE, 2_000, 0);
    index.move("a", Session.NONE, 2_500, 0);
    index.move("c", Session.NONE, 1_000, 0);
    index.move("d", Session.NONE, 3_000, 0);

    assertThat(index.takeDue(500, 10)).isEmpty();
    assertThat(index.takeDue(2_200, 2))
        .containsExactly(
            new DeadlineIndex.Entry(1_000, "c", 0), new DeadlineIndex.Entry(2_000, "b", 0));
    assertThat(index.takeDue(2_200, 2)).isEmpty(); // a is in the same second, but not due yet
    assertThat(index.takeDue(2_500, 2)).containsExactly(new DeadlineIndex.Entry(2_500, "a", 0));
    assertThat(index.size()).isEqualTo(1);
  }

  @Test
  void shouldStopAtTheLimitWithinABucketAndGoOnNextTime() {
    for (int i = 0; i < 10; i++) index.move("s" + i, Session.NONE, 5_000 + i, 0);
    assertThat(index.takeDue(6_000, 4)).hasSize(4);
    assertThat(index.takeDue(6_000, 4)).hasSize(4);
    assertThat(index.takeDue(6_000, 4)).hasSize(2);
    assertThat(index.size()).isZero();
  }

  @Test
  void shouldHandleDueTimesBeforeTheEpochAndFarAhead() {
    index.move("old", Session.NONE, -1_500, 0);
    index.move("far", Session.NONE, Long.MAX_VALUE - 1, 0);
    assertThat(index.takeDue(0, 10)).containsExactly(new DeadlineIndex.Entry(-1_500, "old", 0));
    assertThat(index.takeDue(Long.MAX_VALUE, 10))
        .containsExactly(new DeadlineIndex.Entry(Long.MAX_VALUE - 1, "far", 0));
  }

  @Test
  void shouldKeepOneEntryPerSessionWhenItsDueTimeMoves() {
    index.move("s", Session.NONE, 100, 1);
    index.move("s", 100, 50, 2);
    index.move("s", 50, 50, 3); // the due time unchanged, the session moved on

    assertThat(index.size()).isEqualTo(1);
    assertThat(index.takeDue(1_000, 10))
        .as("the entry carries the seq of the last move")
        .containsExactly(new DeadlineIndex.Entry(50, "s", 3));

    index.move("t", Session.NONE, 70, 0);
    index.move("t", 70, Session.NONE, 0); // final and purged, or no deadline left
    assertThat(index.size()).isZero();
  }

  @Test
  void shouldTakeEntriesAddedInThePast() {
    index.move("late", Session.NONE, 500, 0);
    assertThat(index.takeDue(1_000, 10)).hasSize(1);

    index.move("past", Session.NONE, 100, 0); // earlier than anything taken before
    assertThat(index.takeDue(1_000, 10)).containsExactly(new DeadlineIndex.Entry(100, "past", 0));
  }

  @Test
  void shouldAgreeWithTheDueTimesOfAModelUnderRandomMoves() {
    Random r = new Random(7);
    Map<String, Long> due = new HashMap<>();
    List<DeadlineIndex.Entry> taken = new ArrayList<>();
    long now = 0;
    for (int i = 0; i < 20_000; i++) {
      String id = "s" + r.nextInt(500);
      long was = due.getOrDefault(id, Session.NONE);
      long next = r.nextInt(10) == 0 ? Session.NONE : now + r.nextInt(1_000);
      index.move(id, was, next, 0);
      if (next == Session.NONE) due.remove(id);
      else due.put(id, next);
      if (i % 100 == 0) {
        now += 50;
        for (DeadlineIndex.Entry e : index.takeDue(now, 20)) {
          assertThat(due.get(e.sessionId())).isEqualTo(e.deadline());
          assertThat(e.deadline()).isLessThanOrEqualTo(now);
          due.remove(e.sessionId()); // taken: its timer is in flight
          taken.add(e);
        }
      }
    }
    assertThat(index.size()).isEqualTo(due.size());
    List<DeadlineIndex.Entry> rest = index.takeDue(Long.MAX_VALUE, Integer.MAX_VALUE);
    assertThat(rest).hasSize(due.size());
    assertThat(rest.stream().map(e -> Math.floorDiv(e.deadline(), 1_000)).toList()).isSorted();
    rest.forEach(e -> assertThat(due.get(e.sessionId())).isEqualTo(e.deadline()));
    assertThat(taken).isNotEmpty();
  }
}
