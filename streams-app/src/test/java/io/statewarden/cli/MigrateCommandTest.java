package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code protocols migrate} through the real {@link Main}: what it refuses before asking a server,
 * and a server that does not answer, with the exit codes of {@code session}.
 */
class MigrateCommandTest {
  @TempDir Path dir;

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void shouldRefuseAMapFileThatIsNotAMapOfStatesWithExit2() throws Exception {
    // given
    Path map = Files.writeString(dir.resolve("map.yaml"), "AWAIT_FUNDS: [A, B]\n");

    // when
    Cli.Run run =
        Cli.main(
            "protocols",
            "migrate",
            "payment",
            "--from",
            "1",
            "--to",
            "2",
            "--map",
            map.toString(),
            "--reason",
            "r",
            "--url",
            "http://127.0.0.1:" + closedPort());

    // then
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--map " + map + ": AWAIT_FUNDS: expected a state name");
    run.assertNoStackTrace();
  }

  @Test
  void shouldRefuseAMissingIdsFileWithExit2() throws Exception {
    // when
    Cli.Run run =
        Cli.main(
            "protocols",
            "migrate",
            "payment",
            "--from",
            "1",
            "--to",
            "2",
            "--ids",
            dir.resolve("none.txt").toString(),
            "--reason",
            "r",
            "--dry-run",
            "--url",
            "http://127.0.0.1:" + closedPort());

    // then
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--ids " + dir.resolve("none.txt"));
    run.assertNoStackTrace();
  }

  @Test
  void shouldExit3WhenNoInstanceAnswers() throws Exception {
    // when
    Cli.Run run =
        Cli.main(
            "protocols",
            "migrate",
            "payment",
            "--from",
            "1",
            "--to",
            "2",
            "--reason",
            "r",
            "--dry-run",
            "--url",
            "http://127.0.0.1:" + closedPort());

    // then
    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err()).contains("cannot reach http://127.0.0.1:");
    run.assertNoStackTrace();
  }

  @Test
  void shouldDrawTheProgressBarInProportion() {
    assertThat(MigrateCommand.bar(0, 10)).isEqualTo("migrating [" + ".".repeat(30) + "] 0/10");
    assertThat(MigrateCommand.bar(5, 10))
        .isEqualTo("migrating [" + "#".repeat(15) + ".".repeat(15) + "] 5/10");
    assertThat(MigrateCommand.bar(12, 10)).isEqualTo("migrating [" + "#".repeat(30) + "] 12/10");
    assertThat(MigrateCommand.bar(0, 0)).isEqualTo("migrating [" + "#".repeat(30) + "] 0/0");
  }

  /**
   * A server that logs migration m1 (202) and then answers every progress request with {@code
   * progress}; returns its port. Closed after the test.
   */
  int server(String progress) throws Exception {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(
        "/migrations",
        ex -> {
          boolean post = ex.getRequestMethod().equals("POST");
          ex.getRequestBody().readAllBytes();
          byte[] body =
              (post ? "{\"migrationId\":\"m1\",\"total\":10}" : progress)
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(post ? 202 : 200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    http.start();
    servers.add(http);
    return http.getAddress().getPort();
  }

  final java.util.List<HttpServer> servers = new java.util.ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void stopServers() {
    servers.forEach(h -> h.stop(0));
  }

  Cli.Run migrate(int port, String... more) {
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                "protocols",
                "migrate",
                "mig",
                "--from",
                "1",
                "--to",
                "2",
                "--reason",
                "r",
                "--url",
                "http://127.0.0.1:" + port));
    args.addAll(java.util.List.of(more));
    return Cli.main(args.toArray(String[]::new));
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void shouldStopWithExit3WhenTheMigratedCountStandsStillForTheStallTimeout() throws Exception {
    // given a migration that answers 200 but never moves on (a partition that never reports)
    int port =
        server(
            "{\"migrated\":4,\"refused\":0,\"failed\":0,\"done\":false,\"partitions\":3,"
                + "\"partitionsDone\":2}");

    // when
    Cli.Run run = migrate(port, "--stall-timeout", "1");

    // then
    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err())
        .contains("migration m1: no progress within 1 s (--stall-timeout)")
        .contains("GET /migrations/m1");
    run.assertNoStackTrace();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void shouldStopWithExit3WhenAPartitionFailedTheMigration() throws Exception {
    // given a partition that dead-lettered the migration
    int port =
        server(
            "{\"migrated\":4,\"refused\":0,\"failed\":1,\"done\":false,\"partitions\":3,"
                + "\"partitionsDone\":2}");

    // when (the stall timeout is long: the failure alone stops it)
    Cli.Run run = migrate(port);

    // then
    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.err()).contains("migration m1 failed in 1 partition(s)");
    run.assertNoStackTrace();
  }
}
