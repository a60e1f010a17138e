package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.config.Topics;
import io.statewarden.engine.Event;
import io.statewarden.engine.InputRef;
import io.statewarden.registry.SchemaPublisher;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.testsupport.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Against a real Apicurio Registry holding the published contract (decision 0011): statewarden's
 * serializer ({@link TopologyFactory#avroSerializer}, so {@link ContractSerializer}) writes the
 * bytes of a stock Apicurio serializer that looks the schemas up by content, with the content id of
 * the published version, and a stock Apicurio deserializer reads them back to equal records. A
 * registry that does not answer when a schema's id is first needed is a failure around the record
 * (retriable), and the id is looked up again once it answers.
 */
@ExtendWith(RealKafka.class)
class ContractSerializerIT {
  static final int SAMPLES = 60;

  @Test
  void shouldWriteApicuriosBytesThatApicurioReadsBack(KafkaInfra infra) throws Exception {
    // given the contract published for a fresh set of topics
    Topics topics = published(infra);
    Serializer<Object> ours =
        TopologyFactory.avroSerializer(Map.of("apicurio.registry.url", infra.registryUrl()));
    AvroKafkaSerializer<Object> theirs = stockWriter(infra);
    AvroKafkaDeserializer<Object> reader = stockReader(infra);
    assertThat(ours).isInstanceOf(ContractSerializer.class);
    ContractEvents events = new ContractEvents((ContractSerializer) ours);

    // when random records of every type are written by both
    int wellFormed = 0;
    for (Map.Entry<String, Object> e : samples(topics)) {
      String topic = e.getKey();
      Object written = e.getValue(); // an engine output (ContractOutput) or an event
      SpecificRecord r = (SpecificRecord) ContractOutput.avro(written);
      byte[] mine = ours.serialize(topic, new RecordHeaders(), written);

      // then the bytes are Apicurio's, framed with the published version's content id
      assertThat(mine).as("%s on %s", r, topic).isEqualTo(theirs.serialize(topic, r));
      assertThat(mine[0]).isZero();
      assertThat(framedId(mine)).isEqualTo(contentId(infra, topic + "-value"));

      // and Apicurio's deserializer reads them back to the same record (where every string is
      // UTF-16 that UTF-8 can hold: an unpaired surrogate is written as '?', by Avro as by us)
      Object back = reader.deserialize(topic, new RecordHeaders(), mine);
      assertThat(back).isInstanceOf(r.getClass());

      // and an event a stock producer writes with the published schema is decoded directly
      // (decision 26), to the event the stock path gives
      if (back instanceof ProtocolEvent pe) {
        InputRef at = new InputRef(topic, 0, 1);
        Event direct = events.decode(topic, theirs.serialize(topic, r), "k", 5L, at);
        assertThat(direct).as("decoded directly: %s", r).isNotNull();
        assertThat(direct).isEqualTo(AvroMapping.event("k", pe, 5L, at));
      }
      if (wellFormed(r.toString())) {
        wellFormed++;
        assertThat(back).isEqualTo(r);
      }
    }
    // the generators favour odd strings: about a quarter of the records (~55 of 240) hold none
    // that UTF-8 cannot carry; a floor far below that keeps the equality check from being vacuous
    // without depending on the random draw (60 failed once at 53)
    assertThat(wellFormed).isGreaterThanOrEqualTo(SAMPLES / 4);
  }

  @Test
  void shouldRetryARegistryThatDoesNotAnswerWhenAnIdIsFirstNeeded(KafkaInfra infra)
      throws Exception {
    Topics topics = published(infra);
    try (TcpProxy proxy = registryProxy(infra)) {
      ContractSerializer ours = viaProxy(infra, proxy);
      ContractOutput t = ContractAvroProperties.sampleTransition(Map.of("k", 1L));

      // given a registry that refuses connections when the first transition is written
      proxy.set(TcpProxy.Mode.REFUSE);
      Throwable e = catchThrowable(() -> ours.serialize(topics.transitions(), t));

      // then that is a failure around the record, to be retried, not bad input
      assertThat(e).isNotNull();
      assertThat(InputFailures.isRetriable(e)).as("retriable: %s", e).isTrue();

      // and once it answers, the id is looked up (the failure was not kept) and written
      proxy.set(TcpProxy.Mode.FORWARD);
      byte[] bytes = ours.serialize(topics.transitions(), t);
      assertThat(framedId(bytes)).isEqualTo(contentId(infra, topics.transitions() + "-value"));

      // and later records need no registry at all
      proxy.set(TcpProxy.Mode.REFUSE);
      assertThat(ours.serialize(topics.transitions(), t)).isEqualTo(bytes);
    }
  }

  /**
   * A starting instance resolves every contract type's id ahead (decision 0029): then the first
   * record of each type it writes, and the first event it decodes directly, need no registry.
   * Without {@code resolveAhead} the first write below fails on the refused registry, as in the
   * test above.
   */
  @Test
  void shouldWriteAndReadTheFirstRecordOfEveryTypeWithoutTheRegistryOnceResolvedAhead(
      KafkaInfra infra) throws Exception {
    Topics topics = published(infra);
    try (TcpProxy proxy = registryProxy(infra)) {
      ContractSerializer ours = viaProxy(infra, proxy);

      // given the ids resolved ahead, then the registry gone
      ours.resolveAhead(topics);
      proxy.set(TcpProxy.Mode.REFUSE);

      // when the first record of every type is written
      AvroKafkaSerializer<Object> theirs = stockWriter(infra);
      AvroKafkaDeserializer<Object> reader = stockReader(infra);
      ContractEvents events = new ContractEvents(ours);
      List<String> seen = new ArrayList<>();
      for (Map.Entry<String, Object> e : samples(topics)) {
        String topic = e.getKey();
        if (seen.contains(topic)) continue;
        seen.add(topic);
        byte[] mine = ours.serialize(topic, new RecordHeaders(), e.getValue());

        // then it is written with the published version's content id, no registry asked
        assertThat(framedId(mine))
            .as("the id framing the first record on %s", topic)
            .isEqualTo(contentId(infra, topic + "-value"));

        // and an event a producer writes is decoded directly, no registry asked either
        // (compared with the stock reader's event: it reads the registry directly, not through
        // the proxy; a generated string UTF-8 cannot hold comes back as '?' in both)
        if (e.getValue() instanceof ProtocolEvent pe) {
          InputRef at = new InputRef(topic, 0, 1);
          byte[] produced = theirs.serialize(topic, pe);
          ProtocolEvent stock = (ProtocolEvent) reader.deserialize(topic, produced);
          assertThat(events.decode(topic, produced, "k", 5L, at))
              .isEqualTo(AvroMapping.event("k", stock, 5L, at));
        }
      }
      assertThat(seen).hasSize(4);
    }
  }

  /** A registry that does not answer at start costs the start nothing but a warning. */
  @Test
  void shouldLeaveTheIdsToTheFirstRecordsWhenTheRegistryDoesNotAnswerAtStart(KafkaInfra infra)
      throws Exception {
    Topics topics = published(infra);
    try (TcpProxy proxy = registryProxy(infra)) {
      ContractSerializer ours = viaProxy(infra, proxy);
      ContractOutput t = ContractAvroProperties.sampleTransition(Map.of("k", 1L));

      // given a registry that refuses connections while the ids are resolved ahead
      proxy.set(TcpProxy.Mode.REFUSE);
      ours.resolveAhead(topics); // logs, does not throw

      // then the first record still needs it: a failure around the record, to be retried
      Throwable e = catchThrowable(() -> ours.serialize(topics.transitions(), t));
      assertThat(InputFailures.isRetriable(e)).as("retriable: %s", e).isTrue();

      // and once it answers, the first record looks the id up (nothing was kept) and is written
      proxy.set(TcpProxy.Mode.FORWARD);
      byte[] bytes = ours.serialize(topics.transitions(), t);
      assertThat(framedId(bytes)).isEqualTo(contentId(infra, topics.transitions() + "-value"));
    }
  }

  /** Fresh topics with the contract published for them. */
  static Topics published(KafkaInfra infra) {
    Topics topics = topics(infra);
    new SchemaPublisher(infra.registryUrl(), Map.of(), Duration.ofSeconds(10)).publish(topics);
    return topics;
  }

  /** A proxy in front of the registry, to cut it off. */
  static TcpProxy registryProxy(KafkaInfra infra) {
    URI registry = URI.create(infra.registryUrl());
    return TcpProxy.start(registry.getHost(), registry.getPort());
  }

  /** statewarden's serializer, reaching the registry through {@code proxy}. */
  static ContractSerializer viaProxy(KafkaInfra infra, TcpProxy proxy) {
    String path = URI.create(infra.registryUrl()).getPath();
    return (ContractSerializer)
        TopologyFactory.avroSerializer(
            Map.of("apicurio.registry.url", "http://127.0.0.1:" + proxy.port() + path));
  }

  /** A stock Apicurio serializer that looks schemas up by content, as statewarden's does. */
  static AvroKafkaSerializer<Object> stockWriter(KafkaInfra infra) {
    Map<String, Object> lookup = new HashMap<>(TopologyFactory.SERIALIZER_LOOKUP);
    lookup.put("apicurio.registry.url", infra.registryUrl());
    AvroKafkaSerializer<Object> theirs = new AvroKafkaSerializer<>();
    theirs.configure(lookup, false);
    return theirs;
  }

  /** A stock Apicurio deserializer to the generated classes. */
  static AvroKafkaDeserializer<Object> stockReader(KafkaInfra infra) {
    AvroKafkaDeserializer<Object> reader = new AvroKafkaDeserializer<>();
    reader.configure(
        Map.of(
            "apicurio.registry.url",
            infra.registryUrl(),
            "apicurio.registry.use-specific-avro-reader",
            "true"),
        false);
    return reader;
  }

  /** The registry id a record is framed with (Apicurio's default: 4 bytes after the magic). */
  static long framedId(byte[] record) {
    return ByteBuffer.wrap(record, 1, 4).getInt();
  }

  static Topics topics(KafkaInfra infra) {
    String p = infra.uniqueName("avro") + ".";
    return new Topics(
        p + "events", p + "events.json", p + "transitions", p + "backouts", p + "audit", p + "dlq");
  }

  /** Outputs and events from the property's generators, with their topics. */
  static List<Map.Entry<String, Object>> samples(Topics topics) {
    ContractAvroProperties g = new ContractAvroProperties();
    List<Map.Entry<String, Object>> all = new ArrayList<>();
    g.transitionOutputs()
        .sampleStream()
        .limit(SAMPLES)
        .forEach(r -> all.add(Map.entry(topics.transitions(), r)));
    g.auditOutputs()
        .sampleStream()
        .limit(SAMPLES)
        .forEach(r -> all.add(Map.entry(topics.audit(), r)));
    g.backoutOutputs()
        .sampleStream()
        .limit(SAMPLES)
        .forEach(r -> all.add(Map.entry(topics.backouts(), r)));
    g.events().sampleStream().limit(SAMPLES).forEach(r -> all.add(Map.entry(topics.events(), r)));
    return all;
  }

  static boolean wellFormed(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
  }

  /** The content id of version 1 of an artifact, as the registry's REST API tells it. */
  static long contentId(KafkaInfra infra, String artifact) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            infra.registryUrl()
                                + "/groups/default/artifacts/"
                                + artifact
                                + "/versions/1"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s: %s", artifact, r.body()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body()).path("contentId").asLong();
  }
}
