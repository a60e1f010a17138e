package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.statewarden.engine.Session;
import io.statewarden.engine.TestSessions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The session list index's store, as the task has it: under Kafka Streams' metering wrapper. */
class SkipListStoreTest {
  final KeyValueStore<String, byte[]> store = store();

  static String key(String group, long t, String id) {
    return group + SessionIndex.hex(t) + "/" + id;
  }

  @Test
  void shouldScanRangesInOrderAndBackwards() {
    String a = key("p/1/A/", 5, "s"), b = key("p/1/B/", 1, "s"), c = key("p/1/B/", 2, "r");
    String d = key("q/1/A/", 0, "s");
    for (String k : List.of(b, a, d, c)) store.put(k, new byte[0]);
    assertThat(keys(store.range(b, c))).containsExactly(b, c);
    assertThat(keys(store.reverseRange(b, d))).containsExactly(d, c, b);
    assertThat(keys(store.range(c, b))).isEmpty(); // as Kafka's stores: from > to is empty
    assertThat(keys(store.all())).containsExactly(a, b, c, d);
    // bounds between keys, inside a group and between groups, as SessionIndex writes them
    assertThat(keys(store.range("p/1/B/" + SessionIndex.hex(2), "p/1/C"))).containsExactly(c);
    assertThat(keys(store.range("p/1/A0", "q/"))).containsExactly(b, c);
    store.delete(a);
    assertThat(store.get(a)).isNull();
    assertThat(store.get(b)).isEmpty();
    assertThat(store.approximateNumEntries()).isEqualTo(3);
  }

  @Test
  void shouldOrderKeysAsKafkasBytesDo() {
    // unsigned bytes: 'é' (0xC3 0xA9) after every ASCII id; a prefix before its extensions;
    // U+E000 before a supplementary character (UTF-16 order would put it after)
    List<String> ids =
        List.of(
            "z",
            "a/b",
            "é",
            "a",
            "a/",
            "~",
            "ab",
            "A",
            "a\u0000",
            "\uE000",
            "\uD83D\uDE00",
            "session-1",
            "session-10",
            "session-\u0000",
            "session\u0000\u0000",
            "sessioné",
            "abcdefgh",
            "abcdefg");
    List<String> keys = new ArrayList<>();
    for (String id : ids) {
      keys.add(key("p/1/S/", 0, id));
      keys.add(key("p/1/S/", -1, id));
      keys.add(key("p/10/S/", Long.MAX_VALUE, id));
      keys.add(key("p/2/S_T/", Long.MIN_VALUE, id));
    }
    keys.forEach(k -> store.put(k, new byte[0]));
    List<String> kafka = new ArrayList<>(keys);
    kafka.sort((x, y) -> bytes(x).compareTo(bytes(y)));
    assertThat(keys(store.all())).containsExactlyElementsOf(kafka);
  }

  @Test
  void shouldRefuseKeysThatAreNotTheIndexs() {
    assertThatThrownBy(() -> store.put("p/1/S/notahexnumber!!/s", new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("protocol/version/state/time/id");
    assertThatThrownBy(() -> store.put(key("p/1/S/", 0, "s"), new byte[] {1}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.get("a")).isNull();
  }

  @Test
  void shouldRefuseAReadAcrossACloseRatherThanEndItEarly() {
    // given a page being read by an interactive query
    List<String> ks = List.of(key("p/1/S/", 1, "a"), key("p/1/S/", 2, "b"), key("p/1/T/", 0, "c"));
    ks.forEach(k -> store.put(k, new byte[0]));
    KeyValueIterator<String, byte[]> page = store.all();
    assertThat(page.next().key).isEqualTo(ks.get(0));
    // when the task moves away and its store closes
    store.close();
    // then the reader is told so (SessionList answers 503), not given a shorter list as complete
    assertThatThrownBy(page::hasNext).isInstanceOf(InvalidStateStoreException.class);
    assertThatThrownBy(() -> store.get(ks.get(0))).isInstanceOf(InvalidStateStoreException.class);
    assertThatThrownBy(store::all).isInstanceOf(InvalidStateStoreException.class);
  }

  @Test
  void shouldMoveASessionsEntryUnderKafkasWrappersAndClear() {
    SkipListStore raw = SkipListStore.unwrap(store);
    assertThat(raw).isNotNull();
    Session waiting = TestSessions.of("é", "p", 1, "S", 7, null);
    Session moved = TestSessions.of("é", "p", 1, "T", 9, null);
    raw.move(null, waiting);
    assertThat(keys(store.all())).containsExactly(SessionIndex.key(waiting));
    raw.move(waiting, moved);
    assertThat(keys(store.all())).containsExactly(SessionIndex.key(moved));
    raw.move(moved, moved);
    assertThat(keys(store.all())).containsExactly(SessionIndex.key(moved));
    raw.clear();
    assertThat(keys(store.all())).isEmpty();
  }

  @Test
  void shouldLetAPageBeingReadFinishWhenTheProcessorClearsTheIndex() {
    // given a page being read by an interactive query
    List<String> ks = new ArrayList<>();
    for (int t = 0; t < 6; t++) ks.add(key("p/1/S/", t, "s" + t));
    ks.forEach(k -> store.put(k, new byte[0]));
    KeyValueIterator<String, byte[]> page = store.all();
    assertThat(page.next().key).isEqualTo(ks.get(0));
    // when the processor closes (before Kafka closes the store) and clears the index
    SkipListStore.unwrap(store).clear();
    // then the page is not cut short (it would look complete), and the store is empty after it
    assertThat(keys(page)).containsExactlyElementsOf(ks.subList(1, 6));
    assertThat(keys(store.all())).isEmpty();
  }

  static Bytes bytes(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  static List<String> keys(KeyValueIterator<String, byte[]> it) {
    List<String> out = new ArrayList<>();
    try (it) {
      it.forEachRemaining(kv -> out.add(kv.key));
    }
    return out;
  }

  static KeyValueStore<String, byte[]> store() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "skiplist-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    MockProcessorContext<String, Object> context = new MockProcessorContext<>(props);
    KeyValueStore<String, byte[]> s =
        Stores.keyValueStoreBuilder(
                SkipListStore.supplier("index"), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    s.init(context.getStateStoreContext(), s);
    return s;
  }
}
