package io.statewarden.topology;

import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.serde.BaseSerde;
import io.apicurio.registry.serde.avro.AvroEncoding;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerializer;
import io.apicurio.registry.serde.data.SerdeMetadata;
import io.apicurio.registry.serde.data.SerdeRecord;
import io.statewarden.config.Topics;
import io.statewarden.engine.Output;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * statewarden's Avro serializer: Apicurio's, except that the contract's records (engine outputs as
 * {@link ContractOutput}, and events: {@link ContractAvro#handles}) are written by {@link
 * ContractAvro} behind the framing Apicurio's serializer writes (magic byte, then the id as its
 * configured id handler writes it). The id comes from Apicurio's own schema resolver, configured as
 * always (decision 0011: looked up by exact content), once per topic and record type: at start
 * ({@link #resolveAhead}) or else by the first record of that type, and a failure then (the
 * registry unreachable) propagates as it does from Apicurio's serializer and nothing is kept, so
 * the next attempt looks it up again. The registry stays the source of truth; the bytes are
 * Apicurio's bytes (ContractAvroProperties, ContractSerializerTest).
 *
 * <p>Anything else, and every record when the configuration asks for a framing or encoding this
 * class does not write (ids in headers, {@code apicurio.registry.avro.encoding=JSON}, a datum
 * provider other than statewarden's, or a resolved schema that is not the record's own), goes
 * through Apicurio's serializer unchanged (a {@link ContractOutput} as the Avro record {@link
 * ContractOutput#avro} makes of it).
 */
public final class ContractSerializer extends AvroKafkaSerializer<Object> {
  private static final Logger LOG = LoggerFactory.getLogger(ContractSerializer.class);
  private static final ThreadLocal<ContractAvro.Out> SCRATCH =
      ThreadLocal.withInitial(() -> new ContractAvro.Out(1024));

  /** What to write before the Avro body of one record type on one topic; null: Apicurio's. */
  private record Framing(String topic, Class<?> type, byte[] prefix) {}

  private boolean direct;
  // copy-on-write: read without locks by every stream thread sharing this serializer
  private volatile Framing[] framings = new Framing[0];

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    super.configure(configs, isKey);
    Object provider = configs.get(TopologyFactory.DATUM_PROVIDER);
    direct =
        headersHandler == null
            && ((AvroSerializer<Object>) delegatedSerializer).getEncoding() == AvroEncoding.BINARY
            && (provider == null
                || provider == SchemaIdentityDatumProvider.class
                || SchemaIdentityDatumProvider.class.getName().equals(provider));
  }

  @Override
  public byte[] serialize(String topic, Object data) {
    return serialize(topic, null, data);
  }

  @Override
  public byte[] serialize(String topic, Headers headers, Object data) {
    if (!direct || data == null || !ContractAvro.handles(data)) {
      return super.serialize(topic, headers, ContractOutput.avro(data));
    }
    byte[] prefix = prefix(topic, data);
    if (prefix == null) {
      return super.serialize(topic, headers, ContractOutput.avro(data));
    }
    ContractAvro.Out out = SCRATCH.get();
    out.reset();
    out.bytes(prefix, 0, prefix.length);
    ContractAvro.write(data, out);
    return Arrays.copyOf(out.buf, out.pos);
  }

  /**
   * What this serializer writes before the Avro body of {@code sample}'s type on {@code topic} (the
   * magic byte and the registry's id for the exact schema), resolved as for a record; null where
   * Apicurio's path writes. A registry failure propagates as it does from {@link #serialize}.
   */
  byte[] framing(String topic, SpecificRecord sample) {
    return direct ? prefix(topic, sample) : null;
  }

  /**
   * Resolves now, before any record, what the first record of each contract type would: the framing
   * of transitions, audit records and backouts on their topics and of events on the events topic
   * (written: normalized events and timers; read: {@link ContractEvents}). An instance that has
   * only held standbys then takes over tasks without a registry lookup for the first record of each
   * type it writes or decodes directly (decision 0029); the records it reads back through
   * Apicurio's deserializer (its own timers, commands and migrations) still look their id up once.
   * Where one fails it is logged and left to that first record, which looks it up as before; after
   * a failure around the registry (unreachable, timed out, 5xx) the rest are left too, so a
   * registry that hangs delays the start by one lookup's timeout, not four.
   */
  public void resolveAhead(Topics t) {
    if (!direct) return;
    boolean answered =
        ahead(t.transitions(), Output.Transition.class, new Transition())
            && ahead(t.audit(), Output.Audit.class, new AuditRecord())
            && ahead(t.backouts(), Output.Backout.class, new Backout())
            && ahead(t.events(), ProtocolEvent.class, new ProtocolEvent());
    if (!answered) {
      LOG.warn("The registry did not answer; the other ids are resolved by their first record");
    }
  }

  /** Resolves one framing; false when the registry did not answer (the caller stops). */
  private boolean ahead(String topic, Class<?> type, SpecificRecord sample) {
    try {
      add(topic, type, sample);
      return true;
    } catch (RuntimeException e) {
      LOG.warn(
          "Could not resolve the registry's id of {} on {} ahead; its first record will: {}",
          sample.getSchema().getName(),
          topic,
          e.toString());
      return !InputFailures.isRetriable(e);
    }
  }

  private byte[] prefix(String topic, Object data) {
    Class<?> type = data instanceof ContractOutput c ? c.output().getClass() : data.getClass();
    for (Framing f : framings) {
      if (f.type() == type && f.topic().equals(topic)) return f.prefix();
    }
    return add(topic, type, (SpecificRecord) ContractOutput.avro(data));
  }

  private byte[] add(String topic, Class<?> type, SpecificRecord sample) {
    Framing f = new Framing(topic, type, resolve(topic, sample));
    synchronized (this) {
      Framing[] next = Arrays.copyOf(framings, framings.length + 1);
      next[next.length - 1] = f;
      framings = next;
    }
    return f.prefix();
  }

  /** The registry's id for this record's schema, framed; null when Apicurio's path must write. */
  private byte[] resolve(String topic, SpecificRecord data) {
    BaseSerde<Schema, Object> serde = delegatedSerializer.getSerdeConfigurer();
    SchemaLookupResult<Schema> found =
        serde
            .getSchemaResolver()
            .resolveSchema(new SerdeRecord<>(new SerdeMetadata(topic, serde.isKey()), data));
    if (!data.getSchema().equals(found.getParsedSchema().getParsedSchema())) {
      return null; // Apicurio writes with the schema it resolved; so must we
    }
    try {
      ByteArrayOutputStream prefix = new ByteArrayOutputStream();
      prefix.write(BaseSerde.MAGIC_BYTE);
      serde.getIdHandler().writeId(found.toArtifactReference(), prefix);
      return prefix.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
