package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.SchemaResolver;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.resolver.strategy.ArtifactReferenceResolverStrategy;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.schema.ProtocolEvent;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The direct event decoder ({@link ContractEvents}) in the real topology, with statewarden's own
 * serdes ({@link ContractSerializer}, Apicurio's deserializer) over a registry stand-in ({@link
 * PublishedSchemas}): records framed with the contract's id skip Apicurio's deserializer; bad bytes
 * behind that framing are dead-lettered with the reason; a registry that cannot be reached at the
 * one lookup is retried, never a dead letter.
 */
class ContractEventsTest {
  final PublishedSchemas registry = new PublishedSchemas(ContractAvroProperties.CONTENT_ID);
  final ContractSerializer producer = ContractEventsProperties.serializer(registry);
  final AtomicInteger stockCalls = new AtomicInteger();
  final AtomicInteger lookupFailuresLeft = new AtomicInteger();
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> events;
  TestOutputTopic<byte[], byte[]> transitions;
  TestOutputTopic<byte[], byte[]> dlq;

  void start() throws Exception {
    ContractSerializer out = new ContractSerializer();
    out.setSchemaResolver(new Refusing());
    out.configure(ContractAvroProperties.settings(), false);
    AvroKafkaDeserializer<Object> apicurio = ContractEventsProperties.deserializer(registry);
    Deserializer<Object> in =
        new Deserializer<>() {
          @Override
          public Object deserialize(String topic, byte[] data) {
            return deserialize(topic, null, data);
          }

          @Override
          public Object deserialize(String topic, Headers headers, byte[] data) {
            stockCalls.incrementAndGet();
            return apicurio.deserialize(topic, headers, data);
          }
        };
    Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    var settings =
        TopologyFactory.Settings.builder(Topics.DEFAULTS, "test").maxRecordBytes(4096).build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "contract-events");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, out, in, true), props, TopologyTest.T0);
    events =
        driver.createInputTopic(
            Topics.DEFAULTS.events(), new StringSerializer(), new ByteArraySerializer());
    transitions =
        driver.createOutputTopic(
            Topics.DEFAULTS.transitions(),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    dlq =
        driver.createOutputTopic(
            Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) driver.close();
  }

  byte[] framed(ProtocolEvent e) {
    return producer.serialize(Topics.DEFAULTS.events(), e);
  }

  @Test
  void shouldDecodeTheContractsOwnFramingWithoutApicuriosDeserializer() throws Exception {
    start();
    events.pipeInput("s1", framed(DecodeFailuresTest.open("s1")), TopologyTest.T);
    assertThat(transitions.readValuesToList()).hasSize(1);
    assertThat(stockCalls).hasValue(0);
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void shouldLeaveAnotherSchemaIdToApicuriosDeserializer() throws Exception {
    start();
    byte[] b = framed(DecodeFailuresTest.open("s1"));
    b[4]++; // an id the registry does not know: Apicurio's path, which dead-letters it
    events.pipeInput("s1", b, TopologyTest.T);
    assertThat(stockCalls).hasValue(1);
    assertThat(dlq.readRecordsToList()).hasSize(1);
    assertThat(transitions.isEmpty()).isTrue();
  }

  @Test
  void shouldDeadLetterBadBytesBehindTheContractsFramingWithTheReason() throws Exception {
    start();
    ProtocolEvent accented = DecodeFailuresTest.open("s1");
    accented.setEventId("e-\u00e9");
    byte[] notUtf8 = framed(accented);
    for (int i = 0; i + 1 < notUtf8.length; i++) {
      if (notUtf8[i] == (byte) 0xC3 && notUtf8[i + 1] == (byte) 0xA9) notUtf8[i + 1] = 0x28;
    }
    byte[] good = framed(DecodeFailuresTest.open("s2"));
    byte[] truncated = Arrays.copyOf(good, good.length - 3);

    events.pipeInput("s1", notUtf8, TopologyTest.T);
    events.pipeInput("s2", truncated, TopologyTest.T);

    assertThat(dlq.readRecordsToList())
        .extracting(r -> header(r.headers(), DecodeProcessor.H_ERROR))
        .containsExactly(
            "a string is not UTF-8: malformed at byte 2 of 4; Avro strings are UTF-8 text",
            "java.io.EOFException");
    assertThat(stockCalls).hasValue(0);
    assertThat(transitions.isEmpty()).isTrue();
  }

  @Test
  void shouldRetryARegistryThatCannotBeReachedAtTheLookupNeverDeadLetter() throws Exception {
    start();
    lookupFailuresLeft.set(2);
    events.pipeInput("s1", framed(DecodeFailuresTest.open("s1")), TopologyTest.T);
    assertThat(lookupFailuresLeft.get()).isNegative(); // it was asked again after the failures
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(transitions.readValuesToList()).hasSize(1);
    assertThat(stockCalls).hasValue(0);
  }

  static String header(Headers h, String name) {
    return new String(h.lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  /** The shared stand-in, refusing connections while {@link #lookupFailuresLeft} lasts. */
  final class Refusing implements SchemaResolver<Schema, Object> {
    @Override
    public SchemaLookupResult<Schema> resolveSchema(Record<Object> data) {
      if (lookupFailuresLeft.getAndDecrement() > 0) {
        throw new RuntimeException(new ConnectException("Connection refused"));
      }
      return registry.resolveSchema(data);
    }

    @Override
    public SchemaLookupResult<Schema> resolveSchemaByArtifactReference(ArtifactReference ref) {
      return registry.resolveSchemaByArtifactReference(ref);
    }

    @Override
    public void setClientFacade(RegistryClientFacade client) {}

    @Override
    public void setArtifactResolverStrategy(
        ArtifactReferenceResolverStrategy<Schema, Object> strategy) {}

    @Override
    public SchemaParser<Schema, Object> getSchemaParser() {
      return null;
    }

    @Override
    public void reset() {}

    @Override
    public void close() {}
  }
}
