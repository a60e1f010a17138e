package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code sessions list} through the real {@code Main.main}, where no instance is needed. */
class SessionsCommandTest {
  @Test
  void shouldExit3WhenNoInstanceAnswers() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Cli.Run r =
        Cli.main("sessions", "list", "--url", "http://127.0.0.1:" + port).assertNoStackTrace();
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("cannot reach http://127.0.0.1:" + port);
  }

  @Test
  void shouldExit2OnAnUnknownOutputFormat() {
    Cli.Run r = Cli.main("sessions", "list", "--output", "yaml").assertNoStackTrace();
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("expected table, json or ids");
  }
}
