package io.statewarden.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
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

  @Test
  void shouldScanRangesInOrderAndBackwards() {
    for (String k : List.of("b", "a", "d", "c")) store.put(k, new byte[0]);
    assertThat(keys(store.range("b", "c"))).containsExactly("b", "c");
    assertThat(keys(store.reverseRange("b", "d"))).containsExactly("d", "c", "b");
    assertThat(keys(store.range("c", "b"))).isEmpty(); // as Kafka's stores: from > to is empty
    assertThat(keys(store.all())).containsExactly("a", "b", "c", "d");
    store.delete("a");
    assertThat(store.get("a")).isNull();
    assertThat(store.approximateNumEntries()).isEqualTo(3);
  }

  @Test
  void shouldOrderKeysAsKafkasBytesDo() {
    // unsigned bytes: 'é' (0xC3 0xA9) after every ASCII key; a prefix before its extensions
    List<String> keys = List.of("z", "a/b", "é", "a", "a/", "~", "ab", "A", "a\u0000");
    keys.forEach(k -> store.put(k, new byte[0]));
    List<String> kafka = new ArrayList<>(keys);
    kafka.sort(
        (x, y) ->
            org.apache.kafka.common.utils.Bytes.wrap(
                    x.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .compareTo(
                    org.apache.kafka.common.utils.Bytes.wrap(
                        y.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    assertThat(keys(store.all())).containsExactlyElementsOf(kafka).endsWith("é");
  }

  @Test
  void shouldRefuseAReadAcrossACloseRatherThanEndItEarly() {
    // given a page being read by an interactive query
    for (String k : List.of("a", "b", "c")) store.put(k, new byte[0]);
    KeyValueIterator<String, byte[]> page = store.all();
    assertThat(page.next().key).isEqualTo("a");
    // when the task moves away and its store closes
    store.close();
    // then the reader is told so (SessionList answers 503), not given a shorter list as complete
    assertThatThrownBy(page::hasNext).isInstanceOf(InvalidStateStoreException.class);
    assertThatThrownBy(() -> store.get("a")).isInstanceOf(InvalidStateStoreException.class);
    assertThatThrownBy(store::all).isInstanceOf(InvalidStateStoreException.class);
  }

  @Test
  void shouldBeReachableUnderKafkasWrappersToFillAndClear() {
    SkipListStore raw = SkipListStore.unwrap(store);
    assertThat(raw).isNotNull();
    raw.putKey("p/1/S/0000000000000000/é");
    assertThat(keys(store.all())).containsExactly("p/1/S/0000000000000000/é");
    raw.clear();
    assertThat(keys(store.all())).isEmpty();
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
