package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import io.statewarden.schema.ProtocolEvent;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class SchemaIdentityDatumProviderTest {
  static ProtocolEvent event() {
    return ProtocolEvent.newBuilder()
        .setEventId("e1")
        .setSessionId("s1")
        .setProtocol("p")
        .setType("T")
        .setPayload(Map.of("k", 1L))
        .build();
  }

  static byte[] write(DatumWriter<Object> w, Object data) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Encoder enc = EncoderFactory.get().directBinaryEncoder(out, null); // as Apicurio's serializer
    w.write(data, enc);
    enc.flush();
    return out.toByteArray();
  }

  @Test
  void shouldWriteAndReadLikeTheDefaultAndReuseByIdentity() throws Exception {
    Schema schema = ProtocolEvent.getClassSchema();
    var mine = new SchemaIdentityDatumProvider<Object>().setUseSpecificAvroReader(true);
    var dflt = new DefaultAvroDatumProvider<Object>().setUseSpecificAvroReader(true);
    Object e = event();

    DatumWriter<Object> w = mine.createDatumWriter(e, schema);
    byte[] bytes = write(w, e);
    assertThat(bytes).isEqualTo(write(dflt.createDatumWriter(e, schema), e));
    assertThat(mine.createDatumWriter(e, schema)).isSameAs(w);
    Object back =
        mine.createDatumReader(schema).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    assertThat(back).isEqualTo(e);
    assertThat(mine.createDatumReader(schema)).isSameAs(mine.createDatumReader(schema));

    Schema copy = new Schema.Parser().parse(schema.toString()); // equal, not the same object
    assertThat(write(mine.createDatumWriter(e, copy), e)).isEqualTo(bytes);
  }

  @Test
  void shouldWriteTheSameBytesAsTheDefaultForRecordsLargerThanItsBufferAndAfterThem()
      throws Exception {
    Schema schema = ProtocolEvent.getClassSchema();
    var mine = new SchemaIdentityDatumProvider<Object>().createDatumWriter(event(), schema);
    var dflt = new DefaultAvroDatumProvider<Object>().createDatumWriter(event(), schema);
    ProtocolEvent big = event();
    big.setPayload(Map.of("text", "x".repeat(5_000), "n", 42L));
    for (Object e : new Object[] {event(), big, event(), big}) {
      assertThat(write(mine, e)).isEqualTo(write(dflt, e));
    }
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    Encoder enc = EncoderFactory.get().jsonEncoder(schema, json);
    mine.write(event(), enc);
    enc.flush();
    assertThat(json.toString()).contains("\"sessionId\":\"s1\"");
  }
}
