package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.api.SessionQuery.Answer;
import io.statewarden.engine.Migration;
import io.statewarden.engine.MigrationsTestAccess;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code POST /migrations} before anything is written: a record too large to log is refused. */
class MigrationRouteTest {
  static final ObjectMapper JSON = new ObjectMapper();

  final List<Migration> written = new ArrayList<>();

  MigrationRoute route(int maxRecordBytes) throws Exception {
    ProtocolCatalog c = new ProtocolCatalog();
    c.add(new ProtocolLoader().load("v1.yaml", MigrationsTestAccess.V1));
    c.add(new ProtocolLoader().load("v2.yaml", MigrationsTestAccess.V2));
    Map<String, Object> empty = new HashMap<>();
    empty.put("sessions", List.of());
    empty.put("next", null);
    return new MigrationRoute(c, (q, f) -> new Answer(200, empty), written::add, maxRecordBytes);
  }

  static byte[] body(int ids) throws Exception {
    List<String> list = new ArrayList<>();
    for (int i = 0; i < ids; i++) list.add(String.format("session-%0100d", i));
    return JSON.writeValueAsBytes(
        Map.of(
            "protocol",
            "mig",
            "from",
            1,
            "to",
            2,
            "reason",
            "r",
            "map",
            Map.of("A", "A2"),
            "ids",
            list));
  }

  @Test
  void shouldRefuseAMigrationWhoseRecordExceedsTheRecordLimitAndWriteNothing() throws Exception {
    // given a 64 KiB record limit, and 1,000 ids of 108 characters (over 100 KiB)
    MigrationRoute route = route(64 * 1024);

    // when
    Answer a = route.handle(body(1_000), null);

    // then
    assertThat(a.status()).isEqualTo(400);
    assertThat(a.body().toString())
        .contains("statewarden.max.record.bytes")
        .contains("use fewer ids, or select sessions by state");
    assertThat(written).isEmpty();
  }

  @Test
  void shouldRefuseARecordOverTheProducersMegabyteWhateverTheRecordLimit() throws Exception {
    // given a generous record limit, and 10,000 ids (over 1 MiB)
    MigrationRoute route = route(16 * 1024 * 1024);

    // when
    Answer a = route.handle(body(10_000), null);

    // then
    assertThat(a.status()).isEqualTo(400);
    assertThat(written).isEmpty();
  }

  @Test
  void shouldLogAMigrationThatFits() throws Exception {
    // when
    Answer a = route(64 * 1024).handle(body(100), null);

    // then
    assertThat(a.status()).isEqualTo(202);
    assertThat(written).hasSize(1);
  }
}
