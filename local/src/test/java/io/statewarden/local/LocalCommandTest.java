package io.statewarden.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.cli.Cli;
import io.statewarden.cli.Cli.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local jar's entry point, {@link LocalMain#main}, run in process with its real exit code and
 * output ({@link Cli}): {@code local} is its own, the server's commands are there too.
 */
class LocalCommandTest {
  @TempDir Path dir;

  static Run run(int exit, String... args) {
    Run r = Cli.run(LocalMain::main, "", args).assertNoStackTrace();
    assertThat(r.exit()).as("exit code; out: %s; err: %s", r.out(), r.err()).isEqualTo(exit);
    return r;
  }

  /** Were an argument checked too late, these keep what starts off the default ports. */
  String[] local(String... args) {
    List<String> all = new ArrayList<>(List.of("local", "--data-dir", dir.toString()));
    all.addAll(List.of("--kafka-port", "0", "--registry-port", "0"));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  @Test
  void shouldRunLocalAndTheServerCommands() {
    assertThat(run(0, "--help").out())
        .contains("Usage: statewarden")
        .contains("local")
        .contains("run")
        .contains("replay");
    assertThat(run(0, "local", "--help").out())
        .contains("Usage: statewarden local")
        .contains("--demo")
        .contains("--kafka-port");
    assertThat(run(0, "protocols", "list").out()).contains("taleus-listener");
  }

  @Test
  void shouldMakeOneSigningKeyOnTheFirstStartAndKeepIt() throws Exception {
    Path data = dir.resolve("data");
    Path file = LocalCommand.signingKeyFile(data);
    String key = Files.readString(file).strip();
    assertThat(key).hasSizeGreaterThanOrEqualTo(32);
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(Files.readString(LocalCommand.signingKeyFile(data)).strip())
        .as("kept across restarts, so the timers in the embedded log still verify")
        .isEqualTo(key);
  }

  @Test
  void shouldRefuseBadArgumentsBeforeStartingAnything() {
    assertThat(run(2, "local", "--kafka-port", "abc").err())
        .contains("Invalid value for option '--kafka-port': 'abc' is not an int");
    assertThat(run(2, local("--http-port", "70000")).err())
        .startsWith("Invalid value for option '--http-port': expected a port in 0..65535");
    assertThat(run(2, local("--demo-interval-ms", "0")).err())
        .startsWith("Invalid value for option '--demo-interval-ms': expected at least 1");
    assertThat(run(1, local("--protocols", "no-such-dir")).err())
        .isEqualTo("no-such-dir: no such file or directory\n");
    assertThat(dir).isEmptyDirectory();
  }
}
