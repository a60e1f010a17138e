package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class FieldsToJsonTest {
  /**
   * An Avro union of null, boolean, long, double and string, as the Apicurio converter shows it.
   */
  static final Schema UNION =
      SchemaBuilder.struct()
          .name("io.statewarden.schema.Union")
          .parameter("org.apache.kafka.connect.data.Union", "io.statewarden.schema.Union")
          .field("boolean", Schema.OPTIONAL_BOOLEAN_SCHEMA)
          .field("long", Schema.OPTIONAL_INT64_SCHEMA)
          .field("double", Schema.OPTIONAL_FLOAT64_SCHEMA)
          .field("string", Schema.OPTIONAL_STRING_SCHEMA)
          .optional()
          .build();

  static final Schema VALUE =
      SchemaBuilder.struct()
          .name("io.statewarden.schema.Transition")
          .field("sessionId", Schema.STRING_SCHEMA)
          .field("data", SchemaBuilder.map(Schema.STRING_SCHEMA, UNION).build())
          .build();

  static Struct union(String member, Object value) {
    return new Struct(UNION).put(member, value);
  }

  @Test
  void shouldReplaceTheDataMapByItsJsonWithUnionsUnwrapped() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("role", union("string", "foil"));
    data.put("amount", union("long", 150_000L));
    data.put("valid", union("boolean", true));
    data.put("gone", null);
    Struct value = new Struct(VALUE).put("sessionId", "s-1").put("data", data);
    SinkRecord in = new SinkRecord("t", 0, Schema.STRING_SCHEMA, "s-1", VALUE, value, 7);

    try (FieldsToJson<SinkRecord> smt = new FieldsToJson<>()) {
      smt.configure(Map.of("fields", "data"));
      SinkRecord out = smt.apply(in);

      Struct v = (Struct) out.value();
      assertThat(v.getString("sessionId")).isEqualTo("s-1");
      assertThat(v.getString("data"))
          .isEqualTo("{\"role\":\"foil\",\"amount\":150000,\"valid\":true,\"gone\":null}");
      assertThat(out.valueSchema().field("data").schema().name())
          .isEqualTo(FieldsToJson.JSON_SCHEMA_NAME);
      assertThat(out.kafkaOffset()).isEqualTo(7);
    }
  }

  @Test
  void shouldWriteArraysAndLeaveOtherFieldsAndTombstonesAlone() {
    Schema schema =
        SchemaBuilder.struct()
            .field("history", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
            .field("seq", Schema.INT64_SCHEMA)
            .build();
    Struct value = new Struct(schema).put("history", List.of("A", "B")).put("seq", 2L);
    try (FieldsToJson<SinkRecord> smt = new FieldsToJson<>()) {
      smt.configure(Map.of("fields", "history"));
      Struct out = (Struct) smt.apply(new SinkRecord("t", 0, null, "k", schema, value, 0)).value();
      assertThat(out.getString("history")).isEqualTo("[\"A\",\"B\"]");
      assertThat(out.getInt64("seq")).isEqualTo(2L);

      SinkRecord tombstone = new SinkRecord("t", 0, null, "k", null, null, 1);
      assertThat(smt.apply(tombstone)).isSameAs(tombstone);
    }
  }
}
