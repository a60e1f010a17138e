package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
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
}
