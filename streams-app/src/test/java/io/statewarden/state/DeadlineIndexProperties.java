package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Session;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * {@link DeadlineIndex} against a model (session id to due time and seq) under random moves and
 * takes, as the processor makes them ({@code was} is the session's due time before; every move
 * gives a new seq, some keep the due time): every take returns exactly {@code min(limit, due
 * entries)} entries, each the session's current due time and latest seq and at or before {@code
 * upTo}, in non-decreasing seconds, and never one of a later second while an entry of an earlier
 * second is left due; {@link DeadlineIndex#size()} is the model's size.
 */
class DeadlineIndexProperties {
  /**
   * Move session {@code id} to {@code due} (null: no deadline; with {@code keep}, the due time it
   * has), or take up to {@code limit}.
   */
  record Op(int id, Long due, boolean take, int limit, boolean keep) {}

  @Property(tries = 400, shrinking = ShrinkingMode.FULL)
  void shouldTakeWhatTheModelHasDueEarlierSecondsFirst(@ForAll("ops") List<Op> ops) {
    DeadlineIndex index = new DeadlineIndex();
    Map<String, Long> model = new HashMap<>();
    Map<String, Long> seqs = new HashMap<>();
    long seq = 0;
    for (Op op : ops) {
      if (!op.take()) {
        String id = "s" + op.id();
        long was = model.getOrDefault(id, Session.NONE);
        long now = op.keep() ? was : op.due() == null ? Session.NONE : op.due();
        index.move(id, was, now, ++seq);
        if (now == Session.NONE) model.remove(id);
        else model.put(id, now);
        seqs.put(id, seq);
      } else {
        long upTo = op.due();
        List<Map.Entry<String, Long>> due =
            model.entrySet().stream().filter(e -> e.getValue() <= upTo).toList();
        List<DeadlineIndex.Entry> taken = index.takeDue(upTo, op.limit());
        assertThat(taken).hasSize(Math.min(op.limit(), due.size()));
        List<Long> seconds = new ArrayList<>();
        for (DeadlineIndex.Entry e : taken) {
          assertThat(model.remove(e.sessionId())).isEqualTo(e.deadline()); // once, and current
          assertThat(e.seq())
              .as("the seq of %s's last move", e.sessionId())
              .isEqualTo(seqs.get(e.sessionId()));
          seconds.add(Math.floorDiv(e.deadline(), 1_000L));
        }
        assertThat(seconds).isSorted();
        if (!seconds.isEmpty()) {
          long lastSecond = seconds.get(seconds.size() - 1);
          assertThat(
                  model.values().stream()
                      .filter(d -> d <= upTo && Math.floorDiv(d, 1_000L) < lastSecond)
                      .collect(Collectors.toList()))
              .as("left due in an earlier second than one taken")
              .isEmpty();
        }
      }
      assertThat(index.size()).isEqualTo(model.size());
    }
    assertThat(index.takeDue(Long.MAX_VALUE, Integer.MAX_VALUE)).hasSize(model.size());
  }

  @Provide
  Arbitrary<List<Op>> ops() {
    // few sessions and few seconds (around 0, where floorDiv matters), so that ids and buckets
    // collide: moves within a second, across seconds, to none, back, and takes mid-second
    Arbitrary<Long> time = Arbitraries.longs().between(-2_500, 4_500);
    Arbitrary<Op> move =
        Combinators.combine(Arbitraries.integers().between(0, 11), time.injectNull(0.15))
            .as((id, due) -> new Op(id, due, false, 0, false));
    Arbitrary<Op> keep =
        Arbitraries.integers().between(0, 11).map(id -> new Op(id, null, false, 0, true));
    Arbitrary<Op> take =
        Combinators.combine(time, Arbitraries.integers().between(0, 6))
            .as((upTo, limit) -> new Op(0, upTo, true, limit, false));
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, move),
            net.jqwik.api.Tuple.of(2, keep),
            net.jqwik.api.Tuple.of(1, take))
        .list()
        .ofMaxSize(120);
  }
}
