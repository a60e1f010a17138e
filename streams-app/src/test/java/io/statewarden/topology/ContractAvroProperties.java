package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.engine.Output;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.BackoutReason;
import io.statewarden.schema.Decision;
import io.statewarden.schema.InputRef;
import io.statewarden.schema.Outcome;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.schema.Transition;
import io.statewarden.schema.Trigger;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@link ContractSerializer} writes, for any engine output ({@link ContractOutput}: the bytes of
 * the record {@link AvroMapping#record} makes of it) and any event, exactly the bytes Apicurio's
 * own {@link AvroKafkaSerializer} writes, configured as {@link TopologyFactory} configures
 * statewarden's (datum provider, lookup settings). Both get a {@link PublishedSchemas} resolver,
 * which answers as a registry holding the published schemas would (a parsed copy of the record's
 * schema, content ids from {@value #CONTENT_ID}, four bytes that all differ): what is compared is
 * the framing and the Avro encoding, the registry's part is {@code ContractSerializerIT}'s. Strings
 * are any UTF-16, unpaired surrogates included; optional fields null or not; maps empty or with
 * every value branch; longs and doubles over their whole range (NaN payloads too).
 */
class ContractAvroProperties {
  static final long CONTENT_ID = 0x01020304L;

  static final String TRANSITIONS = "statewarden.transitions";
  static final String AUDIT = "statewarden.audit";
  static final String BACKOUTS = "statewarden.backouts";
  static final String EVENTS = "statewarden.events";

  final Map<String, Object> settings = settings();
  final AvroKafkaSerializer<Object> apicurio = apicurio(settings);
  final ContractSerializer mine = contract(settings);

  // The outputs: an engine Output (fields from a random contract record, enums from the engine's),
  // written from the Output, equals Apicurio's bytes of the record AvroMapping makes of it.

  @Property(tries = 400)
  void transitionsAreApicuriosBytes(@ForAll("transitionOutputs") ContractOutput t) {
    assertSameBytes(TRANSITIONS, t);
  }

  @Property(tries = 400)
  void auditRecordsAreApicuriosBytes(@ForAll("auditOutputs") ContractOutput a) {
    assertSameBytes(AUDIT, a);
  }

  @Property(tries = 300)
  void backoutsAreApicuriosBytes(@ForAll("backoutOutputs") ContractOutput b) {
    assertSameBytes(BACKOUTS, b);
  }

  @Property(tries = 300)
  void eventsAreApicuriosBytes(@ForAll("events") ProtocolEvent e) {
    assertSameBytes(EVENTS, e);
  }

  /** Values outside the data union fail in both, as Avro's writer fails. */
  @Example
  void aValueOutsideTheUnionFailsAsInApicurio() {
    for (Object bad : new Object[] {42, 1.5f, Map.of("nested", 1L), List.of("x")}) {
      ContractOutput t = sampleTransition(Map.of("k", bad));
      assertThatThrownBy(() -> apicurio.serialize(TRANSITIONS, t.avro())).as("apicurio, %s", bad);
      assertThatThrownBy(() -> mine.serialize(TRANSITIONS, t)).as("mine, %s", bad);
    }
  }

  /** Where the configuration asks for ids in headers, Apicurio's path writes (and it matches). */
  @Example
  void idsInHeadersAreLeftToApicurio() {
    Map<String, Object> c = new HashMap<>(settings);
    c.put("apicurio.registry.headers.enabled", "true");
    AvroKafkaSerializer<Object> theirs = apicurio(c);
    ContractSerializer ours = contract(c);
    ContractOutput t = sampleTransition(Map.of("k", "v"));
    Headers h1 = new RecordHeaders();
    Headers h2 = new RecordHeaders();
    assertThat(ours.serialize(TRANSITIONS, h2, t))
        .isEqualTo(theirs.serialize(TRANSITIONS, h1, t.avro()));
    assertThat(h2.toArray()).isNotEmpty().isEqualTo(h1.toArray());
  }

  private void assertSameBytes(String topic, Object r) {
    byte[] expected = apicurio.serialize(topic, new RecordHeaders(), ContractOutput.avro(r));
    assertThat(mine.serialize(topic, new RecordHeaders(), r)).isEqualTo(expected);
    assertThat(mine.serialize(topic, r)).isEqualTo(expected); // and from the cached framing
    assertThat(expected[0]).isZero();
  }

  static Map<String, Object> settings() {
    Map<String, Object> c = TopologyFactory.withDatumProvider(Map.of());
    c.putAll(TopologyFactory.SERIALIZER_LOOKUP);
    return c;
  }

  static AvroKafkaSerializer<Object> apicurio(Map<String, Object> config) {
    AvroKafkaSerializer<Object> s = new AvroKafkaSerializer<>();
    s.setSchemaResolver(new PublishedSchemas(CONTENT_ID));
    s.configure(config, false);
    return s;
  }

  static ContractSerializer contract(Map<String, Object> config) {
    ContractSerializer s = new ContractSerializer();
    s.setSchemaResolver(new PublishedSchemas(CONTENT_ID));
    s.configure(config, false);
    return s;
  }

  static ContractOutput sampleTransition(Map<String, Object> data) {
    return new ContractOutput(
        new Output.Transition(
            "s",
            "p",
            1,
            1,
            null,
            "A",
            Output.Trigger.EVENT,
            null,
            null,
            0,
            false,
            null,
            new LinkedHashMap<>(data),
            "inc"),
        0,
        "i");
  }

  static Output.Transition output(
      Transition t, Output.Trigger trigger, io.statewarden.protocol.Outcome outcome) {
    return new Output.Transition(
        t.getSessionId(),
        t.getProtocol(),
        t.getProtocolVersion(),
        t.getSeq(),
        t.getFrom(),
        t.getTo(),
        trigger,
        t.getEventId(),
        t.getEventType(),
        t.getAt().toEpochMilli(),
        t.getFinal$(),
        outcome,
        t.getData(),
        t.getIncarnation());
  }

  static Output.Audit output(AuditRecord a, Output.Decision decision, Output.Reason reason) {
    InputRef in = a.getInput();
    return new Output.Audit(
        a.getSessionId(),
        a.getProtocol(),
        a.getEventId(),
        a.getEventType(),
        decision,
        reason,
        a.getDetail(),
        a.getStateBefore(),
        a.getStateAfter(),
        a.getSeq(),
        a.getAt().toEpochMilli(),
        in == null
            ? null
            : new io.statewarden.engine.InputRef(in.getTopic(), in.getPartition(), in.getOffset()));
  }

  static Output.Backout output(Backout b, Output.BackoutReason reason) {
    return new Output.Backout(
        b.getSessionId(),
        b.getProtocol(),
        b.getProtocolVersion(),
        b.getSeq(),
        b.getStalledState(),
        reason,
        b.getDeadline() == null ? null : b.getDeadline().toEpochMilli(),
        b.getAt().toEpochMilli(),
        b.getData(),
        b.getHistory(),
        b.getIncarnation());
  }

  // engine outputs: fields from a random contract record, enums from the engine's own

  @Provide
  Arbitrary<ContractOutput> transitionOutputs() {
    return Combinators.combine(
            transitions(),
            Arbitraries.of(Output.Trigger.class),
            Arbitraries.of(io.statewarden.protocol.Outcome.class).injectNull(0.3),
            Arbitraries.longs())
        .as((t, trigger, outcome, at) -> new ContractOutput(output(t, trigger, outcome), at, "i"));
  }

  @Provide
  Arbitrary<ContractOutput> auditOutputs() {
    return Combinators.combine(
            audits(),
            Arbitraries.of(Output.Decision.class),
            Arbitraries.of(Output.Reason.class).injectNull(0.3),
            Arbitraries.longs())
        .as(
            (a, decision, reason, at) ->
                new ContractOutput(output(a, decision, reason), at, a.getInstance()));
  }

  @Provide
  Arbitrary<ContractOutput> backoutOutputs() {
    return Combinators.combine(
            backouts(), Arbitraries.of(Output.BackoutReason.class), Arbitraries.longs())
        .as((b, reason, at) -> new ContractOutput(output(b, reason), at, null));
  }

  // --- arbitraries

  static Arbitrary<String> strings() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(24),
        Arbitraries.strings().ascii().ofMaxLength(24),
        Arbitraries.strings().withCharRange('\u0080', '\u07ff').ofMaxLength(8),
        Arbitraries.strings().withChars("😀é中\ud800\udc00").ofMaxLength(8),
        Arbitraries.strings().ascii().ofMinLength(200).ofMaxLength(2_000));
  }

  static Arbitrary<String> nullableStrings() {
    return strings().injectNull(0.3);
  }

  static Arbitrary<Instant> instants() {
    return Arbitraries.longs().map(Instant::ofEpochMilli);
  }

  static Arbitrary<Map<String, Object>> data() {
    Arbitrary<Object> values =
        Arbitraries.oneOf(
            Arbitraries.just(null),
            Arbitraries.of(true, false),
            Arbitraries.longs(),
            Arbitraries.doubles(),
            Arbitraries.longs().map(Double::longBitsToDouble),
            strings());
    return Arbitraries.maps(strings(), values).ofMaxSize(6).map(LinkedHashMap::new);
  }

  @Provide
  Arbitrary<Transition> transitions() {
    return Builders.withBuilder(Transition::newBuilder)
        .use(strings())
        .in((b, v) -> b.setSessionId(v))
        .use(strings())
        .in((b, v) -> b.setProtocol(v))
        .use(Arbitraries.integers())
        .in((b, v) -> b.setProtocolVersion(v))
        .use(Arbitraries.longs())
        .in((b, v) -> b.setSeq(v))
        .use(nullableStrings())
        .in((b, v) -> b.setFrom(v))
        .use(strings())
        .in((b, v) -> b.setTo(v))
        .use(Arbitraries.of(Trigger.class))
        .in((b, v) -> b.setTrigger(v))
        .use(nullableStrings())
        .in((b, v) -> b.setEventId(v))
        .use(nullableStrings())
        .in((b, v) -> b.setEventType(v))
        .use(instants())
        .in((b, v) -> b.setAt(v))
        .use(Arbitraries.of(true, false))
        .in((b, v) -> b.setFinal$(v))
        .use(Arbitraries.of(Outcome.class).injectNull(0.3))
        .in((b, v) -> b.setOutcome(v))
        .use(data())
        .in((b, v) -> b.setData(v))
        .use(strings())
        .in((b, v) -> b.setIncarnation(v))
        .build(Transition.Builder::build);
  }

  @Provide
  Arbitrary<AuditRecord> audits() {
    Arbitrary<InputRef> inputs =
        Builders.withBuilder(InputRef::newBuilder)
            .use(strings())
            .in((b, v) -> b.setTopic(v))
            .use(Arbitraries.integers())
            .in((b, v) -> b.setPartition(v))
            .use(Arbitraries.longs())
            .in((b, v) -> b.setOffset(v))
            .build(InputRef.Builder::build);
    return Builders.withBuilder(AuditRecord::newBuilder)
        .use(strings())
        .in((b, v) -> b.setSessionId(v))
        .use(nullableStrings())
        .in((b, v) -> b.setProtocol(v))
        .use(nullableStrings())
        .in((b, v) -> b.setEventId(v))
        .use(nullableStrings())
        .in((b, v) -> b.setEventType(v))
        .use(Arbitraries.of(Decision.class))
        .in((b, v) -> b.setDecision(v))
        .use(Arbitraries.of(RejectReason.class).injectNull(0.3))
        .in((b, v) -> b.setReason(v))
        .use(nullableStrings())
        .in((b, v) -> b.setDetail(v))
        .use(nullableStrings())
        .in((b, v) -> b.setStateBefore(v))
        .use(nullableStrings())
        .in((b, v) -> b.setStateAfter(v))
        .use(Arbitraries.longs().injectNull(0.3))
        .in((b, v) -> b.setSeq(v))
        .use(instants())
        .in((b, v) -> b.setAt(v))
        .use(inputs.injectNull(0.3))
        .in((b, v) -> b.setInput(v))
        .use(instants().injectNull(0.3))
        .in((b, v) -> b.setProcessedAt(v))
        .use(nullableStrings())
        .in((b, v) -> b.setInstance(v))
        .build(AuditRecord.Builder::build);
  }

  @Provide
  Arbitrary<Backout> backouts() {
    return Builders.withBuilder(Backout::newBuilder)
        .use(strings())
        .in((b, v) -> b.setSessionId(v))
        .use(strings())
        .in((b, v) -> b.setProtocol(v))
        .use(Arbitraries.integers())
        .in((b, v) -> b.setProtocolVersion(v))
        .use(Arbitraries.longs())
        .in((b, v) -> b.setSeq(v))
        .use(strings())
        .in((b, v) -> b.setStalledState(v))
        .use(Arbitraries.of(BackoutReason.class))
        .in((b, v) -> b.setReason(v))
        .use(instants().injectNull(0.3))
        .in((b, v) -> b.setDeadline(v))
        .use(instants())
        .in((b, v) -> b.setAt(v))
        .use(data())
        .in((b, v) -> b.setData(v))
        .use(strings().list().ofMaxSize(6))
        .in((b, v) -> b.setHistory(v))
        .use(strings())
        .in((b, v) -> b.setIncarnation(v))
        .build(Backout.Builder::build);
  }

  @Provide
  Arbitrary<ProtocolEvent> events() {
    return Builders.withBuilder(ProtocolEvent::newBuilder)
        .use(strings())
        .in((b, v) -> b.setEventId(v))
        .use(strings())
        .in((b, v) -> b.setSessionId(v))
        .use(strings())
        .in((b, v) -> b.setProtocol(v))
        .use(Arbitraries.integers().injectNull(0.3))
        .in((b, v) -> b.setProtocolVersion(v))
        .use(strings())
        .in((b, v) -> b.setType(v))
        .use(data())
        .in((b, v) -> b.setPayload(v))
        .use(nullableStrings())
        .in((b, v) -> b.setExpectedState(v))
        .use(nullableStrings())
        .in((b, v) -> b.setSource(v))
        .use(instants().injectNull(0.3))
        .in((b, v) -> b.setOccurredAt(v))
        .build(ProtocolEvent.Builder::build);
  }
}
