package io.statewarden.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The contract's command, {@code java -jar streams-app/target/statewarden.jar local ...}, still
 * works after the split (decision 0013): the server jar runs {@code local} from the local jar that
 * the build puts beside it, with the same arguments, output and exit status.
 */
class ServerJarLocalIT {
  @Test
  void theServerJarRunsLocalFromTheLocalJar() throws Exception {
    Path server = Path.of("../streams-app/target/statewarden.jar").toAbsolutePath().normalize();
    assertThat(server).isRegularFile();
    assertThat(Path.of("target/statewarden-local.jar")).isRegularFile();
    Path out = Files.createTempFile(Path.of("target"), "server-jar-local", ".txt");
    Process p =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                server.toString(),
                "local",
                "--help")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished").isTrue();
    String printed = read(out);
    assertThat(p.exitValue()).as(printed).isZero();
    // the local command's own usage: its options, not the server's one-line pointer
    assertThat(printed)
        .contains("Usage: statewarden local")
        .contains("--demo")
        .contains("--http-port");
    assertThat(printed).doesNotContain("is not in the server jar");
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
