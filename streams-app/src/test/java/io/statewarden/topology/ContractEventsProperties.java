package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.AvroLimits;
import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.schema.ProtocolEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@link ContractEvents} reads what the stock path reads: Apicurio's deserializer (configured as
 * {@link TopologyFactory} configures it, with the UTF-8 check) then {@link AvroMapping#event}. Both
 * get the same {@link PublishedSchemas} resolver, as {@link ContractSerializer} does, which frames
 * the records. For any valid event (every string, map and union case of {@code
 * ContractAvroProperties}) the direct decoder takes the record and gives the same event, payload
 * order included; for any record corrupted after the framing (truncated, bytes changed, inserted,
 * or a random body) it refuses exactly when the stock path refuses, with a failure that is not
 * retriable (so dead-lettered), and otherwise gives the same event.
 */
class ContractEventsProperties {
  static final String TOPIC = ContractAvroProperties.EVENTS;
  static final InputRef INPUT = new InputRef(TOPIC, 3, 42);

  final PublishedSchemas registry = new PublishedSchemas(ContractAvroProperties.CONTENT_ID);
  final ContractSerializer writer = serializer(registry);
  final AvroKafkaDeserializer<Object> stock = deserializer(registry);
  final ContractEvents direct = new ContractEvents(writer);

  @BeforeContainer
  static void limits() {
    AvroLimits.apply(1 << 20); // as every entry point does: no 2^30-byte string from 6 bytes
  }

  static ContractSerializer serializer(PublishedSchemas registry) {
    ContractSerializer s = new ContractSerializer();
    s.setSchemaResolver(registry);
    s.configure(ContractAvroProperties.settings(), false);
    return s;
  }

  static AvroKafkaDeserializer<Object> deserializer(PublishedSchemas registry) {
    AvroKafkaDeserializer<Object> d = new AvroKafkaDeserializer<>();
    d.setSchemaResolver(registry);
    Map<String, Object> c = TopologyFactory.withDatumProvider(Map.of());
    c.put("apicurio.registry.use-specific-avro-reader", "true");
    d.configure(c, false);
    return d;
  }

  @Property(tries = 600)
  void validEventsAreTheStockPathsEvents(@ForAll("events") ProtocolEvent e) {
    byte[] bytes = writer.serialize(TOPIC, e);
    Event mine = direct.decode(TOPIC, bytes, "k", 7L, INPUT);
    assertThat(mine).as("decoded directly").isNotNull();
    Event theirs = stock(bytes);
    assertThat(mine).isEqualTo(theirs);
    assertThat(new ArrayList<>(mine.payload().keySet()))
        .as("payload order")
        .isEqualTo(new ArrayList<>(theirs.payload().keySet()));
  }

  @Property(tries = 2000)
  void corruptRecordsAreRefusedExactlyWhenTheStockPathRefusesThem(@ForAll("corrupt") byte[] bytes) {
    Object theirs = outcome(() -> stock(bytes));
    Object mine = outcome(() -> decode(bytes));
    if (theirs instanceof Exception) {
      // bad bytes, never a failure around the record: dead-lettered, never retried forever
      assertThat(InputFailures.isRetriable((Exception) theirs)).as("%s", theirs).isFalse();
      assertThat(mine).as("refused as %s", theirs).isInstanceOf(Exception.class);
      assertThat(InputFailures.isRetriable((Exception) mine)).as("%s", mine).isFalse();
    } else {
      assertThat(mine).as("accepted as the stock path accepts").isEqualTo(theirs);
    }
  }

  /** As the topology decodes: directly when the framing is the contract's, else Apicurio's. */
  private Event decode(byte[] bytes) {
    Event e = direct.decode(TOPIC, bytes, "k", 7L, INPUT);
    return e != null ? e : stock(bytes);
  }

  private Event stock(byte[] bytes) {
    Object decoded = stock.deserialize(TOPIC, new RecordHeaders(), bytes);
    return AvroMapping.event("k", (ProtocolEvent) decoded, 7L, INPUT);
  }

  private static Object outcome(java.util.function.Supplier<Event> decode) {
    try {
      return decode.get();
    } catch (Exception e) {
      return e;
    }
  }

  @Provide
  Arbitrary<ProtocolEvent> events() {
    return new ContractAvroProperties().events();
  }

  /** A valid record changed after its 5-byte framing (so the direct decoder takes it). */
  @Provide
  Arbitrary<byte[]> corrupt() {
    Arbitrary<byte[]> valid = events().map(e -> writer.serialize(TOPIC, e));
    return Combinators.combine(
            valid,
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().greaterOrEqual(0),
            Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(12))
        .as(ContractEventsProperties::change);
  }

  static byte[] change(byte[] valid, int how, int at, byte[] noise) {
    int body = valid.length - 5;
    int i = 5 + (body == 0 ? 0 : at % body);
    switch (how) {
      case 0: // truncated
        return Arrays.copyOf(valid, i);
      case 1: // bytes overwritten
        {
          byte[] b = valid.clone();
          for (int j = 0; j < noise.length && i + j < b.length; j++) b[i + j] = noise[j];
          return b;
        }
      case 2: // bytes inserted
        {
          byte[] b = new byte[valid.length + noise.length];
          System.arraycopy(valid, 0, b, 0, i);
          System.arraycopy(noise, 0, b, i, noise.length);
          System.arraycopy(valid, i, b, i + noise.length, valid.length - i);
          return b;
        }
      default: // a random body
        {
          byte[] b = Arrays.copyOf(valid, 5 + noise.length);
          System.arraycopy(noise, 0, b, 5, noise.length);
          return b;
        }
    }
  }
}
