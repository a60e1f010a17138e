package io.statewarden.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every record schema stays backward compatible with the last released one. */
class SchemaCompatibilityTest {
  static final Path CURRENT = Path.of("src/main/avro");
  static final Path RELEASED = Path.of("src/test/resources/released");

  static Path latestRelease() throws IOException {
    try (Stream<Path> s = Files.list(RELEASED)) {
      return s.filter(Files::isDirectory)
          .max(Comparator.comparing(p -> p.getFileName().toString()))
          .orElseThrow();
    }
  }

  static List<String> released() throws IOException {
    try (Stream<Path> s = Files.list(latestRelease())) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".avsc"))
          .sorted()
          .toList();
    }
  }

  static Schema parse(Path p) throws IOException {
    return new Schema.Parser().parse(p.toFile());
  }

  @ParameterizedTest
  @MethodSource("released")
  void shouldReadDataWrittenWithLastReleasedSchema(String file) throws IOException {
    Schema old = parse(latestRelease().resolve(file));
    Path current = CURRENT.resolve(file);
    assertThat(current).as("a released schema must not be removed").exists();

    var result = SchemaCompatibility.checkReaderWriterCompatibility(parse(current), old);

    assertThat(result.getType())
        .as(
            "%s is not backward compatible with release %s: %s",
            file, latestRelease().getFileName(), result.getResult().getIncompatibilities())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void shouldCatchAnIncompatibleChange() throws IOException {
    Schema old = parse(latestRelease().resolve("Transition.avsc"));
    String text =
        Files.readString(CURRENT.resolve("Transition.avsc"))
            .replace(
                "{\"name\": \"to\", \"type\": \"string\"},",
                "{\"name\": \"to\", \"type\": \"string\"}, {\"name\": \"shard\", \"type\": \"int\"},");
    Schema broken = new Schema.Parser().parse(text);

    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, old).getType())
        .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void shouldGenerateClassesFromTheCurrentSchemas() {
    assertThat(ProtocolEvent.getClassSchema().getField("expectedState")).isNotNull();
    assertThat(AuditRecord.getClassSchema().getField("processedAt").defaultVal()).isNotNull();
  }
}
