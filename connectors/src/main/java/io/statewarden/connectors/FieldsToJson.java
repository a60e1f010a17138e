package io.statewarden.connectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * A single message transform that replaces the named fields of a record value (a struct) by their
 * JSON text, as an optional string of schema name {@code io.debezium.data.Json} (which Debezium's
 * JDBC sink writes to PostgreSQL as {@code jsonb}). Avro unions the converter turned into structs
 * become their one present member, so a statewarden {@code data} map becomes {@code {"role":
 * "foil", "amount": 150000}}.
 *
 * <p>Config: {@code fields}, the field names (default {@code data}).
 */
public final class FieldsToJson<R extends ConnectRecord<R>> implements Transformation<R> {
  /** The schema name Debezium's JDBC sink maps to a JSON column. */
  public static final String JSON_SCHEMA_NAME = "io.debezium.data.Json";

  private static final String UNION_PARAMETER = "org.apache.kafka.connect.data.Union";
  private static final String CONFLUENT_UNION = "io.confluent.connect.avro.Union";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              "fields",
              ConfigDef.Type.LIST,
              List.of("data"),
              ConfigDef.Importance.HIGH,
              "Value fields to replace by their JSON text.");

  private Set<String> fields = Set.of("data");
  private final Map<Schema, Schema> schemas = new HashMap<>();

  @Override
  public void configure(Map<String, ?> configs) {
    List<?> names = (List<?>) CONFIG.parse(configs).get("fields");
    fields = names.stream().map(String::valueOf).collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public R apply(R record) {
    if (!(record.value() instanceof Struct value)) {
      return record; // tombstones and schemaless values pass unchanged
    }
    Schema schema = schemas.computeIfAbsent(value.schema(), this::jsonSchema);
    Struct out = new Struct(schema);
    for (Field f : value.schema().fields()) {
      Object v = value.get(f);
      out.put(f.name(), fields.contains(f.name()) ? json(plain(f.schema(), v)) : v);
    }
    return record.newRecord(
        record.topic(),
        record.kafkaPartition(),
        record.keySchema(),
        record.key(),
        schema,
        out,
        record.timestamp());
  }

  private Schema jsonSchema(Schema in) {
    SchemaBuilder b = SchemaBuilder.struct().name(in.name()).version(in.version()).doc(in.doc());
    if (in.isOptional()) {
      b.optional();
    }
    for (Field f : in.fields()) {
      b.field(
          f.name(),
          fields.contains(f.name())
              ? SchemaBuilder.string().name(JSON_SCHEMA_NAME).optional().build()
              : f.schema());
    }
    return b.build();
  }

  /** Connect data as plain Java maps, lists and values, with unions unwrapped. */
  static Object plain(Schema schema, Object value) {
    if (value == null) {
      return null;
    }
    switch (schema.type()) {
      case STRUCT:
        Struct s = (Struct) value;
        if (isUnion(schema)) {
          for (Field f : schema.fields()) {
            Object member = s.get(f);
            if (member != null) {
              return plain(f.schema(), member);
            }
          }
          return null;
        }
        Map<String, Object> struct = new LinkedHashMap<>();
        for (Field f : schema.fields()) {
          struct.put(f.name(), plain(f.schema(), s.get(f)));
        }
        return struct;
      case MAP:
        Map<String, Object> map = new LinkedHashMap<>();
        ((Map<?, ?>) value)
            .forEach((k, v) -> map.put(String.valueOf(k), plain(schema.valueSchema(), v)));
        return map;
      case ARRAY:
        List<Object> list = new ArrayList<>();
        for (Object item : (List<?>) value) {
          list.add(plain(schema.valueSchema(), item));
        }
        return list;
      default:
        return value;
    }
  }

  private static boolean isUnion(Schema schema) {
    return CONFLUENT_UNION.equals(schema.name())
        || (schema.parameters() != null && schema.parameters().containsKey(UNION_PARAMETER));
  }

  private static String json(Object plain) {
    if (plain == null) {
      return null;
    }
    try {
      return JSON.writeValueAsString(plain);
    } catch (JsonProcessingException e) {
      throw new DataException("Could not write " + plain + " as JSON", e);
    }
  }

  @Override
  public ConfigDef config() {
    return CONFIG;
  }

  @Override
  public void close() {
    schemas.clear();
  }
}
