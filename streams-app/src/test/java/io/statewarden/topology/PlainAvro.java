package io.statewarden.topology;

import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Backout;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.Transition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro binary without a registry, for TopologyTestDriver tests only: the schema is chosen by topic;
 * records are read with the datum reader the real deserializer gets. The integration tests use the
 * real Apicurio serdes against a real registry.
 */
final class PlainAvro {
  private PlainAvro() {}

  static Map<String, Schema> byTopic() {
    return Map.of(
        "statewarden.events", ProtocolEvent.getClassSchema(),
        "statewarden.transitions", Transition.getClassSchema(),
        "statewarden.backouts", Backout.getClassSchema(),
        "statewarden.audit", AuditRecord.getClassSchema());
  }

  /** {@code value} as the real serializer writes its body ({@link ContractAvro}), read back. */
  static Object written(Schema schema, Object value) {
    return De.read(schema, ContractAvro.bytes(value));
  }

  static final class Ser implements Serializer<Object> {
    @Override
    public byte[] serialize(String topic, Object data) {
      if (ContractAvro.handles(data)) {
        return ContractAvro.bytes(data); // what the real serializer writes after its framing
      }
      SpecificRecord r = (SpecificRecord) data;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Encoder enc = EncoderFactory.get().binaryEncoder(out, null);
      try {
        new SpecificDatumWriter<SpecificRecord>(r.getSchema()).write(r, enc);
        enc.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out.toByteArray();
    }
  }

  static final class De implements Deserializer<Object> {
    private static final SchemaIdentityDatumProvider<Object> READERS = readers();

    private static SchemaIdentityDatumProvider<Object> readers() {
      SchemaIdentityDatumProvider<Object> p = new SchemaIdentityDatumProvider<>();
      p.setUseSpecificAvroReader(true);
      return p;
    }

    @Override
    public Object deserialize(String topic, byte[] data) {
      return read(byTopic().get(topic), data);
    }

    static Object read(Schema schema, byte[] data) {
      try {
        // the reader the real deserializer gets (strings checked as UTF-8)
        return READERS
            .createDatumReader(schema)
            .read(null, DecoderFactory.get().binaryDecoder(data, null));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
