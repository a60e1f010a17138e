package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.engine.Event;
import io.statewarden.engine.Session;
import io.statewarden.engine.SessionCodec;
import io.statewarden.protocol.ProtocolCatalog;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The console's session list: a bounded scan, longest in their state first, due windows. */
class SessionScanTest {
  static final long T = 1_800_000_000_000L;
  final Engine engine;
  final KeyValueStore<String, byte[]> store =
      Stores.keyValueStoreBuilder(
              Stores.inMemoryKeyValueStore("sessions"), Serdes.String(), Serdes.ByteArray())
          .withLoggingDisabled()
          .build();

  SessionScanTest() throws Exception {
    engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    var context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
  }

  /** A taleus-listener session created at {@code at}: in L_PROCESS_CONTACT, due 5 s later. */
  void listener(String id, long at) {
    Session s =
        engine.onEvent(null, Event.of(id, "e1", "taleus-listener", "InboundContact", at)).session();
    store.put(id, SessionCodec.encode(s));
  }

  @SuppressWarnings("unchecked")
  static List<String> ids(SessionQuery.Answer a) {
    return ((List<SessionScan.Row>) ((Map<String, Object>) a.body()).get("sessions"))
        .stream().map(SessionScan.Row::sessionId).toList();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> body(SessionQuery.Answer a) {
    return (Map<String, Object>) a.body();
  }

  @Test
  void listsTheLongestInTheirStateFirstAndCountsDeadlinesByWindow() {
    listener("new", T);
    listener("old", T - 3_600_000);
    listener("middle", T - 60_000);
    store.put("broken", new byte[] {99});
    SessionScan list = new SessionScan(null, 100);

    SessionQuery.Answer all = list.scan(store, null, null, 0, 50, T + 1_000);
    assertThat(ids(all)).containsExactly("old", "middle", "new");
    assertThat(body(all))
        .containsEntry("scanned", 4)
        .containsEntry("truncated", false)
        .containsEntry("undecodable", 1)
        .containsEntry(
            "due", Map.of("overdue", 2L, "minute", 1L, "hour", 0L, "day", 0L, "later", 0L));

    assertThat(ids(list.scan(store, null, null, 0, 2, T + 1_000))).containsExactly("old", "middle");
    assertThat(ids(list.scan(store, null, null, 120_000, 50, T))).containsExactly("old");
    assertThat(ids(list.scan(store, "taleus-dialer", null, 0, 50, T))).isEmpty();
    assertThat(ids(list.scan(store, "taleus-listener", "L_PROCESS_CONTACT", 0, 50, T))).hasSize(3);
    assertThat(ids(list.scan(store, null, "L_DONE", 0, 50, T))).isEmpty();
  }

  @Test
  void readsNoMoreThanItsBoundAndSaysSo() {
    for (int i = 0; i < 10; i++) listener("s" + i, T - i);
    SessionQuery.Answer a = new SessionScan(null, 4).scan(store, null, null, 0, 50, T);
    assertThat(body(a)).containsEntry("scanned", 4).containsEntry("truncated", true);
    assertThat(ids(a)).hasSize(4);
  }
}
