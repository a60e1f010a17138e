package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.AvroLimits;
import io.statewarden.schema.ProtocolEvent;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A timer batch written from its list ({@link TimerRecords.Batch}, by {@link ContractSerializer})
 * is the record the map-building path wrote ({@link TimerRecords#batch} through Apicurio's
 * serializer), and {@link ContractEvents#decodeTimers} reads what Apicurio's deserializer then
 * {@link TimerRecords#read} read:
 *
 * <ul>
 *   <li>Apicurio's deserializer reads the direct bytes as the same {@link ProtocolEvent} it reads
 *       from Apicurio's own bytes of {@link TimerRecords.Batch#event} (the same fields, the same
 *       payload map; only the map's order on the wire differs);
 *   <li>the direct reader takes every batch the writer writes, and gives the stock path's
 *       deadlines, in order;
 *   <li>a batch in another layout (Apicurio's hash order, as earlier versions wrote it) and any
 *       corrupted record are either left to the stock path (null) or read exactly as it reads them:
 *       never accepted where it refuses.
 * </ul>
 *
 * Session ids are any UTF-16 (lone surrogates too), deadlines and seqs any long, batches of 1 to
 * 150 deadlines (indexes of one to three digits).
 */
class TimerBatchCodecProperties {
  static final String TOPIC = ContractAvroProperties.EVENTS;

  final PublishedSchemas registry = new PublishedSchemas(ContractAvroProperties.CONTENT_ID);
  final ContractSerializer writer = ContractEventsProperties.serializer(registry);
  final AvroKafkaSerializer<Object> apicurio =
      ContractAvroProperties.apicurio(ContractAvroProperties.settings());
  final AvroKafkaDeserializer<Object> stock = ContractEventsProperties.deserializer(registry);
  final ContractEvents direct = new ContractEvents(writer);

  @BeforeContainer
  static void limits() {
    AvroLimits.apply(1 << 20);
  }

  @Property(tries = 400)
  void theDirectBytesAreTheRecordTheMapWrote(@ForAll("batches") TimerRecords.Batch b) {
    byte[] mine = writer.serialize(TOPIC, new RecordHeaders(), b);
    byte[] theirs = apicurio.serialize(TOPIC, new RecordHeaders(), b.event());
    assertThat(Arrays.copyOf(mine, 5)).as("framing").isEqualTo(Arrays.copyOf(theirs, 5));
    assertThat(mine).hasSameSizeAs(theirs);
    assertThat(stock(mine)).isEqualTo(stock(theirs));
  }

  @Property(tries = 400)
  void theDirectReaderReadsEveryWrittenBatchAsTheStockPath(
      @ForAll("batches") TimerRecords.Batch b) {
    byte[] bytes = writer.serialize(TOPIC, new RecordHeaders(), b);
    EngineProcessor.TimersDue mine = direct.decodeTimers(TOPIC, bytes);
    assertThat(mine).as("read directly").isNotNull();
    assertThat(mine).isEqualTo(TimerRecords.read(stock(bytes)));
    assertThat(mine.due()).hasSize(b.due().size());
  }

  /** Earlier versions wrote the payload map in hash order: read as the stock path reads it. */
  @Property(tries = 300)
  void aBatchInAnotherLayoutIsTheStockPaths(@ForAll("batches") TimerRecords.Batch b) {
    byte[] bytes = apicurio.serialize(TOPIC, new RecordHeaders(), b.event());
    assertThat(decode(bytes)).isEqualTo(TimerRecords.read(stock(bytes)));
  }

  @Property(tries = 2000)
  void corruptBatchesAreRefusedExactlyWhenTheStockPathRefusesThem(@ForAll("corrupt") byte[] bytes) {
    Object theirs = outcome(() -> TimerRecords.read(stock(bytes)));
    Object mine = outcome(() -> decode(bytes));
    if (theirs instanceof Exception) {
      assertThat(mine).as("refused as %s", theirs).isInstanceOf(Exception.class);
      assertThat(mine.getClass()).isEqualTo(theirs.getClass());
    } else {
      assertThat(mine).as("accepted as the stock path accepts").isEqualTo(theirs);
    }
  }

  /** A single timer, a command or an event is not a batch: left to the stock path. */
  @Example
  void otherRecordsAreLeftToTheStockPath() {
    ProtocolEvent single =
        ProtocolEvent.newBuilder()
            .setEventId("deadline:9:1")
            .setSessionId("s1")
            .setProtocol("p")
            .setProtocolVersion(1)
            .setType(TimerRecords.TYPE)
            .setPayload(java.util.Map.of("deadline", 9L, "seq", 1L))
            .setSource(TimerRecords.SOURCE)
            .build();
    assertThat(TimerRecords.read(stock(writer.serialize(TOPIC, single))))
        .isEqualTo(new EngineProcessor.TimerDue(9L, 1L));
    assertThat(direct.decodeTimers(TOPIC, writer.serialize(TOPIC, single))).isNull();
    ProtocolEvent e = new ContractAvroProperties().events().sample();
    assertThat(direct.decodeTimers(TOPIC, writer.serialize(TOPIC, e))).isNull();
  }

  /** As the topology decodes a signed record: directly when it can, else Apicurio's path. */
  private Object decode(byte[] bytes) {
    EngineProcessor.TimersDue t = direct.decodeTimers(TOPIC, bytes);
    return t != null ? t : TimerRecords.read(stock(bytes));
  }

  private ProtocolEvent stock(byte[] bytes) {
    return (ProtocolEvent) stock.deserialize(TOPIC, new RecordHeaders(), bytes);
  }

  private static Object outcome(java.util.function.Supplier<Object> decode) {
    try {
      return decode.get();
    } catch (Exception e) {
      return e;
    }
  }

  @Provide
  Arbitrary<TimerRecords.Batch> batches() {
    Arbitrary<TimerRecords.Due> due =
        Combinators.combine(
                ContractAvroProperties.strings(),
                Arbitraries.longs(),
                Arbitraries.longs().between(-1, Long.MAX_VALUE))
            .as(TimerRecords.Due::new);
    Arbitrary<List<TimerRecords.Due>> lists =
        Arbitraries.oneOf(due.list().ofMinSize(1).ofMaxSize(12), due.list().ofSize(150));
    return Combinators.combine(Arbitraries.integers().between(0, 1_000), lists)
        .as(TimerRecords.Batch::new);
  }

  /** A written batch changed after its 5-byte framing (so the direct reader takes it first). */
  @Provide
  Arbitrary<byte[]> corrupt() {
    Arbitrary<byte[]> valid =
        batches().map(b -> writer.serialize(TOPIC, new RecordHeaders(), b)).injectDuplicates(0.1);
    return Combinators.combine(
            valid,
            Arbitraries.integers().between(0, 3),
            Arbitraries.integers().greaterOrEqual(0),
            Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(12))
        .as(ContractEventsProperties::change);
  }
}
