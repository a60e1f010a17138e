package io.statewarden.topology;

import io.apicurio.registry.resolver.ParsedSchemaImpl;
import io.apicurio.registry.resolver.SchemaLookupResult;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.SchemaResolver;
import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.resolver.strategy.ArtifactReferenceResolverStrategy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;

/**
 * A schema resolver for Apicurio's serdes that answers as the registry does once the contract is
 * published (decision 0011), without one: for a record, the version holding exactly its schema,
 * parsed from the registry's text (an equal schema, not the generated class's object), cached per
 * schema as Apicurio's resolver caches it; for a content id, that version. Content ids are given in
 * order from {@code firstId}. For serde properties and benchmarks only; what the registry itself
 * answers is tested against a real one (ContractSerializerIT).
 */
public final class PublishedSchemas implements SchemaResolver<Schema, Object> {
  private final long firstId;
  private final Map<String, SchemaLookupResult<Schema>> byName = new ConcurrentHashMap<>();
  private final Map<Long, SchemaLookupResult<Schema>> byId = new ConcurrentHashMap<>();

  public PublishedSchemas(long firstId) {
    this.firstId = firstId;
  }

  @Override
  public SchemaLookupResult<Schema> resolveSchema(Record<Object> data) {
    Schema own = ((SpecificRecord) data.payload()).getSchema();
    return byName.computeIfAbsent(own.getFullName(), n -> publish(own));
  }

  private synchronized SchemaLookupResult<Schema> publish(Schema s) {
    long id = firstId + byId.size();
    SchemaLookupResult<Schema> r =
        SchemaLookupResult.<Schema>builder()
            .parsedSchema(
                new ParsedSchemaImpl<Schema>()
                    .setParsedSchema(new Schema.Parser().parse(s.toString()))
                    .setRawSchema(s.toString().getBytes(StandardCharsets.UTF_8)))
            .contentId(id)
            .globalId(id + 1000)
            .groupId("default")
            .artifactId(s.getName())
            .version("1")
            .build();
    byId.put(id, r);
    return r;
  }

  @Override
  public SchemaLookupResult<Schema> resolveSchemaByArtifactReference(ArtifactReference ref) {
    SchemaLookupResult<Schema> r = byId.get(ref.getContentId());
    if (r == null) throw new IllegalArgumentException("no content id " + ref.getContentId());
    return r;
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
