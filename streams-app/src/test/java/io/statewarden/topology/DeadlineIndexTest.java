package io.statewarden.topology;

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
  void shouldTakeDueEntriesEarliestFirstUpToTheLimit() {
    index.move("b", Session.NONE, 20);
    index.move("a", Session.NONE, 20);
    index.move("c", Session.NONE, 10);
    index.move("d", Session.NONE, 30);

    assertThat(index.takeDue(5, 10)).isEmpty();
    assertThat(index.takeDue(25, 2))
        .containsExactly(new DeadlineIndex.Entry(10, "c"), new DeadlineIndex.Entry(20, "a"));
    assertThat(index.takeDue(25, 2)).containsExactly(new DeadlineIndex.Entry(20, "b"));
    assertThat(index.size()).isEqualTo(1);
  }

  @Test
  void shouldKeepOneEntryPerSessionWhenItsDueTimeMoves() {
    index.move("s", Session.NONE, 100);
    index.move("s", 100, 50);
    index.move("s", 50, 50); // unchanged

    assertThat(index.size()).isEqualTo(1);
    assertThat(index.takeDue(1_000, 10)).containsExactly(new DeadlineIndex.Entry(50, "s"));

    index.move("t", Session.NONE, 70);
    index.move("t", 70, Session.NONE); // final and purged, or no deadline left
    assertThat(index.size()).isZero();
  }

  @Test
  void shouldTakeEntriesAddedInThePast() {
    index.move("late", Session.NONE, 500);
    assertThat(index.takeDue(1_000, 10)).hasSize(1);

    index.move("past", Session.NONE, 100); // earlier than anything taken before
    assertThat(index.takeDue(1_000, 10)).containsExactly(new DeadlineIndex.Entry(100, "past"));
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
      index.move(id, was, next);
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
    assertThat(rest).hasSize(due.size()).isSorted();
    rest.forEach(e -> assertThat(due.get(e.sessionId())).isEqualTo(e.deadline()));
    assertThat(taken).isNotEmpty();
  }
}
