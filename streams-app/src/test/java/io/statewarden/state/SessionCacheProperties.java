package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.engine.TestSessions;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The session cache (decision 0027) in front of the task's store: after any run of writes,
 * deletions, reads and quarantines of a few session ids, with budgets small enough to evict, every
 * read gives what a fresh reader decodes from the store (a restarted task, a replay), so the cache
 * can never make live processing differ from a replay; a session written is read back from the
 * cache, the same object, when it decodes back to itself and fits; and the cache stays within its
 * budget.
 */
class SessionCacheProperties {
  static final List<String> IDS = List.of("s1", "s2", "s3", "s4");

  enum Kind {
    PUT,
    DELETE,
    GET,
    QUARANTINE
  }

  record Op(Kind kind, String id, Session session) {}

  @Provide
  Arbitrary<Op> ops() {
    return Combinators.combine(
            Arbitraries.frequency(
                net.jqwik.api.Tuple.of(6, Kind.PUT),
                net.jqwik.api.Tuple.of(1, Kind.DELETE),
                net.jqwik.api.Tuple.of(4, Kind.GET),
                net.jqwik.api.Tuple.of(1, Kind.QUARANTINE)),
            Arbitraries.of(IDS),
            TestSessions.arbitrary())
        .as(Op::new);
  }

  @Provide
  Arbitrary<Long> budgets() {
    return Arbitraries.oneOf(
        Arbitraries.just(0L),
        Arbitraries.longs().between(1, 600),
        Arbitraries.just(StoreSessionState.DEFAULT_CACHE_BYTES));
  }

  @Property(tries = 300)
  void shouldReadWhatTheStoreHolds(
      @ForAll @Size(max = 40) List<@From("ops") Op> ops, @ForAll("budgets") long budget) {
    SessionIndexProperties.Stores stores = new SessionIndexProperties.Stores();
    StoreSessionState state =
        new StoreSessionState(stores.sessions, stores.index, null, (p, st, n) -> {}, budget);
    for (Op op : ops) {
      switch (op.kind()) {
        case PUT -> {
          state.put(op.id(), state.get(op.id()), op.session());
          SessionCodec.Encoded e = SessionCodec.encodeChecked(op.session());
          if (e.exact() && e.bytes().length <= budget) {
            assertThat(state.get(op.id())).isSameAs(op.session());
          }
        }
        case DELETE -> {
          Session before = state.get(op.id());
          if (before != null) state.put(op.id(), before, null);
        }
        case QUARANTINE -> state.quarantine(op.id());
        case GET -> assertReadsTheStore(stores, state, op.id());
      }
      assertThat(state.cache().bytes()).isLessThanOrEqualTo(budget);
    }
    for (String id : IDS) assertReadsTheStore(stores, state, id);
  }

  private static void assertReadsTheStore(
      SessionIndexProperties.Stores stores, StoreSessionState state, String id) {
    Session read = state.get(id);
    Session stored = SessionState.decode(id, stores.sessions.get(id));
    if (stored == null) {
      assertThat(read).isNull();
    } else {
      assertThat(read).isNotNull();
      assertThat(TestSessions.sameInOrder(read, stored))
          .as("read %s, stored %s", read, stored)
          .isTrue();
    }
  }
}
