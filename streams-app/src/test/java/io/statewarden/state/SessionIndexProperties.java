package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Session;
import io.statewarden.engine.TestSessions;
import io.statewarden.protocol.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The session list index against a model: after random creations, moves and deletions through
 * {@link StoreSessionState#put}, every filter paged with any page size lists exactly the model's
 * matching sessions, oldest first, once each; the live counts equal the model's; and an index
 * rebuilt from the sessions alone (every start of the task: it is in memory), whatever it held
 * before, is the same index.
 */
class SessionIndexProperties {
  static final List<String> PROTOCOLS = List.of("a", "a-b", "a.c", "b");
  static final List<String> STATES = List.of("S", "S_T", "T", "DONE");

  /** One change: put {@code session} under its id, or delete the id when {@code delete}. */
  record Op(String id, String protocol, int version, String state, long enteredAt, boolean delete) {
    Session session() {
      return TestSessions.of(
          id, protocol, version, state, enteredAt, state.equals("DONE") ? Outcome.COMPLETED : null);
    }
  }

  record Query(String protocol, String state, Long enteredBefore, int pageSize, boolean active) {}

  @Provide
  Arbitrary<Op> ops() {
    return Combinators.combine(
            Arbitraries.of(
                "s1",
                "s2",
                "s3",
                "s4",
                "s5",
                "s6",
                "s7",
                "s8",
                "x/1",
                "é",
                "\uE000",
                "\uD83D\uDE00"),
            Arbitraries.of(PROTOCOLS),
            Arbitraries.integers().between(1, 2),
            Arbitraries.of(STATES),
            Arbitraries.longs().between(-3, 6), // few distinct times: ties broken by id
            Arbitraries.integers().between(0, 5).map(n -> n == 0))
        .as(Op::new);
  }

  @Provide
  Arbitrary<Query> queries() {
    return Combinators.combine(
            Arbitraries.of(PROTOCOLS).injectNull(0.4),
            Arbitraries.of(STATES).injectNull(0.4),
            Arbitraries.longs().between(-4, 7).map(Long::valueOf).injectNull(0.5),
            Arbitraries.integers().between(1, 7),
            Arbitraries.of(false, true))
        .as(Query::new);
  }

  @Property(tries = 300)
  void shouldListWhatTheModelHolds(
      @ForAll @Size(max = 60) List<@From("ops") Op> ops,
      @ForAll @Size(min = 1, max = 5) List<@From("queries") Query> queries) {
    // given
    Stores s = new Stores();
    StoreSessionState state = s.state();
    Map<String, Session> model = new HashMap<>();
    // when
    for (Op op : ops) {
      Session before = model.get(op.id());
      Session after = op.delete() ? null : op.session();
      if (before == null && after == null) continue;
      state.put(op.id(), before, after);
      if (after == null) model.remove(op.id());
      else model.put(op.id(), after);
    }
    // then
    for (Query q : queries) {
      assertThat(pageThrough(new SessionIndex(s.index), q)).isEqualTo(expected(model, q));
    }
    for (String p : PROTOCOLS) {
      assertThat(state.live(p))
          .isEqualTo(
              model.values().stream().filter(x -> x.protocol().equals(p) && !x.isFinal()).count());
    }
    List<String> keys = keys(s.index);
    StoreSessionState restarted = s.state();
    restarted.rebuild();
    assertThat(keys(s.index)).isEqualTo(keys);
    for (String p : PROTOCOLS) assertThat(restarted.live(p)).isEqualTo(state.live(p));
    // a fresh store (the index is in memory: every start of the task)
    s.clearIndex();
    s.state().rebuild();
    assertThat(keys(s.index)).isEqualTo(keys);
    // an index out of step with the sessions (a key the sessions no longer have, one missing):
    // rebuilt from the sessions alone
    s.index.put("zz/9/GONE/0000000000000000/ghost", new byte[0]);
    if (!keys.isEmpty()) s.index.delete(keys.get(0));
    s.state().rebuild();
    assertThat(keys(s.index)).isEqualTo(keys);
  }

  @Property(tries = 50)
  void shouldRefuseACursorItDidNotWrite(@ForAll @IntRange(min = 0, max = 15) int length) {
    String text = "A".repeat(length) + "!";
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SessionIndex.Cursor.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a cursor");
  }

  static List<String> pageThrough(SessionIndex index, Query q) {
    SessionIndex.Filter f =
        new SessionIndex.Filter(
            q.protocol(),
            q.state(),
            q.enteredBefore(),
            q.active() ? (protocol, version, state) -> state.equals("DONE") : null);
    List<String> out = new ArrayList<>();
    SessionIndex.Cursor after = null;
    for (int pages = 0; pages < 100; pages++) {
      List<SessionIndex.Entry> page = index.page(f, after, q.pageSize());
      page.forEach(e -> out.add(e.sessionId()));
      if (page.size() < q.pageSize()) return out;
      after = SessionIndex.Cursor.parse(page.get(page.size() - 1).cursor());
    }
    throw new AssertionError("paging did not end");
  }

  static List<String> expected(Map<String, Session> model, Query q) {
    return model.values().stream()
        .filter(x -> q.protocol() == null || x.protocol().equals(q.protocol()))
        .filter(x -> q.state() == null || x.state().equals(q.state()))
        .filter(x -> q.enteredBefore() == null || x.enteredAt() < q.enteredBefore())
        .filter(x -> !q.active() || !x.isFinal())
        .sorted(
            Comparator.comparingLong(Session::enteredAt)
                .thenComparing(Session::id, SessionIndex.ID_ORDER))
        .map(Session::id)
        .toList();
  }

  static List<String> keys(KeyValueStore<String, byte[]> store) {
    List<String> out = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      it.forEachRemaining(kv -> out.add(kv.key));
    }
    return out;
  }

  /** The sessions in Kafka Streams' in-memory store, the index in its own, as the task has it. */
  static final class Stores {
    final MockProcessorContext<String, Object> context;
    final KeyValueStore<String, byte[]> sessions;
    KeyValueStore<String, byte[]> index;

    Stores() {
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, "index-test");
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      context = new MockProcessorContext<>(props);
      sessions = store("sessions");
      index = store("index");
    }

    void clearIndex() {
      index = store("index");
    }

    StoreSessionState state() {
      return new StoreSessionState(sessions, index, null, (p, st, n) -> {});
    }

    private KeyValueStore<String, byte[]> store(String name) {
      KeyValueStore<String, byte[]> s =
          org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                  name.equals("index")
                      ? SkipListStore.supplier(name)
                      : org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name),
                  Serdes.String(),
                  Serdes.ByteArray())
              .withLoggingDisabled()
              .withCachingDisabled()
              .build();
      s.init(context.getStateStoreContext(), s);
      return s;
    }
  }
}
