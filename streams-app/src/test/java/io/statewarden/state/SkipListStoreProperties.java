package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Session;
import io.statewarden.engine.TestSessions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The index store's groups-of-maps layout read as one sorted store: after any run of the
 * processor's moves (and writes by key), every range, forwards and backwards, with bounds that fall
 * on keys, between them, inside a group's times and between groups, gives what a sorted map of the
 * same keys in Kafka's byte order gives.
 */
class SkipListStoreProperties {
  static final List<String> PROTOCOLS = List.of("a", "a-b", "b");
  static final List<Integer> VERSIONS = List.of(1, 2, 10);
  static final List<String> STATES = List.of("S", "S_T", "T");
  static final List<Long> TIMES = List.of(Long.MIN_VALUE, -3L, -1L, 0L, 1L, 2L, Long.MAX_VALUE);
  static final List<String> IDS =
      List.of(
          "s1",
          "s10",
          "s2",
          "x/1",
          "é",
          "\uE000",
          "\uD83D\uDE00",
          "a\u0000",
          "a",
          // around the 8 bytes a member compares before its whole id: equal heads, longer tails,
          // zero bytes where a shorter id's head is padded with zeros
          "session-",
          "session-1",
          "session-10",
          "session-\u0000",
          "session\u0000\u0000",
          "sessioné",
          "sessio\uD83D\uDE00");

  /** Session {@code id} becomes {@code after} (null: deleted); by key when {@code byKey}. */
  record Op(String id, Session after, boolean byKey) {}

  record Place(String protocol, int version, String state, long enteredAt) {}

  @Provide
  Arbitrary<Op> ops() {
    Arbitrary<Place> places =
        Combinators.combine(
                Arbitraries.of(PROTOCOLS),
                Arbitraries.of(VERSIONS),
                Arbitraries.of(STATES),
                Arbitraries.of(TIMES))
            .as(Place::new);
    return Combinators.combine(
            Arbitraries.oneOf(
                Arbitraries.of(IDS), Arbitraries.integers().between(0, 40).map(i -> "n" + i)),
            places.injectNull(0.15),
            Arbitraries.integers().between(0, 4).map(n -> n == 0))
        .as(
            (id, s, byKey) ->
                new Op(
                    id,
                    s == null
                        ? null
                        : TestSessions.of(
                            id, s.protocol(), s.version(), s.state(), s.enteredAt(), null),
                    byKey));
  }

  /** Bounds: keys, group prefixes and their successors, partial and whole times, odd strings. */
  @Provide
  Arbitrary<String> bounds() {
    Arbitrary<String> group =
        Combinators.combine(
                Arbitraries.of(PROTOCOLS), Arbitraries.of(VERSIONS), Arbitraries.of(STATES))
            .as(SessionIndex::group);
    Arbitrary<String> time = Arbitraries.of(TIMES).map(SessionIndex::hex);
    return Arbitraries.oneOf(
        Combinators.combine(group, time, Arbitraries.of(IDS)).as((g, t, id) -> g + t + "/" + id),
        group,
        group.map(g -> g.substring(0, g.length() - 1) + "0"),
        Combinators.combine(group, time, Arbitraries.integers().between(0, 16))
            .as((g, t, n) -> g + t.substring(0, n)),
        Combinators.combine(group, time).as((g, t) -> g + t + "0"),
        Combinators.combine(group, time).as((g, t) -> g + t.toUpperCase()),
        Arbitraries.strings().withChars("ab/1S_T0fé~").ofMaxLength(8));
  }

  @Property(tries = 400)
  void shouldReadAsASortedMapOfItsKeys(
      @ForAll @Size(max = 150) List<@From("ops") Op> ops,
      @ForAll @Size(max = 12) List<@From("bounds") String> bounds,
      @ForAll @Size(max = 12) List<@From("bounds") String> others) {
    KeyValueStore<String, byte[]> store = SkipListStoreTest.store();
    SkipListStore raw = SkipListStore.unwrap(store);
    NavigableMap<org.apache.kafka.common.utils.Bytes, String> model = new TreeMap<>();
    Map<String, Session> current = new HashMap<>();
    for (Op op : ops) {
      Session before = current.get(op.id());
      if (before != null) model.remove(SkipListStoreTest.bytes(SessionIndex.key(before)));
      if (op.after() != null) {
        String k = SessionIndex.key(op.after());
        model.put(SkipListStoreTest.bytes(k), k);
        current.put(op.id(), op.after());
      } else {
        current.remove(op.id());
      }
      if (op.byKey()) {
        if (before != null) store.delete(SessionIndex.key(before));
        if (op.after() != null) store.put(SessionIndex.key(op.after()), new byte[0]);
      } else {
        raw.move(before, op.after());
      }
    }
    assertThat(SkipListStoreTest.keys(store.all())).containsExactlyElementsOf(model.values());
    assertThat(SkipListStoreTest.keys(store.reverseAll()))
        .containsExactlyElementsOf(model.descendingMap().values());
    assertThat(store.approximateNumEntries()).isEqualTo(model.size());
    for (int i = 0; i < Math.min(bounds.size(), others.size()); i++) {
      String from = bounds.get(i), to = others.get(i);
      var f = SkipListStoreTest.bytes(from);
      var t = SkipListStoreTest.bytes(to);
      List<String> expected =
          f.compareTo(t) > 0 ? List.of() : new ArrayList<>(model.subMap(f, true, t, true).values());
      assertThat(SkipListStoreTest.keys(store.range(from, to)))
          .as("range %s .. %s", from, to)
          .containsExactlyElementsOf(expected);
      List<String> backwards = new ArrayList<>(expected);
      java.util.Collections.reverse(backwards);
      assertThat(SkipListStoreTest.keys(store.reverseRange(from, to)))
          .as("reverse range %s .. %s", from, to)
          .containsExactlyElementsOf(backwards);
      assertThat(store.get(from) != null).isEqualTo(model.containsKey(f));
    }
  }
}
