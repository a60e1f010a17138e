package io.statewarden.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What the launcher refuses before it starts a worker. */
class ConnectLauncherTest {
  static final String AUDIT = "config/audit-sink.json";

  /** Runs the launcher as {@code main} does, returning its exit code and stderr. */
  static String[] run(Path configs) {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      int code =
          new CommandLine(new ConnectLauncher())
              .execute(
                  "--plugin-path=" + configs,
                  "--configs=" + configs,
                  "--bootstrap=127.0.0.1:1",
                  "--rest-port=0");
      return new String[] {String.valueOf(code), captured.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setErr(err);
    }
  }

  @Test
  void shouldRefuseAPasswordWrittenIntoAConnectorConfig(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("audit.json"),
        Files.readString(Path.of(AUDIT)).replace("${env:STATEWARDEN_SINK_PASSWORD}", "hunter2"));

    String[] r = run(dir);

    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1].strip())
        .startsWith(
            "statewarden-connect: Connector statewarden-audit-sink holds connection.password")
        .doesNotContain("hunter2")
        .doesNotContain("\tat ");
  }

  @Test
  void shouldRefuseAReferenceToAVariableThatIsNotSet(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("audit.json"),
        Files.readString(Path.of(AUDIT))
            .replace("STATEWARDEN_SINK_PASSWORD", "STATEWARDEN_NEVER_SET_PASSWORD"));

    String[] r = run(dir);

    assertThat(System.getenv("STATEWARDEN_NEVER_SET_PASSWORD")).isNull();
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1].strip())
        .isEqualTo(
            "statewarden-connect: Connector statewarden-audit-sink reads"
                + " STATEWARDEN_NEVER_SET_PASSWORD from the worker's environment, but it is not set");
  }
}
