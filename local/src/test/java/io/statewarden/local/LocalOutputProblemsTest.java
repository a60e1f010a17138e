package io.statewarden.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The filter {@link LocalCommandIT} applies to what {@code local --demo} prints. */
class LocalOutputProblemsTest {
  @Test
  void shouldReportWarningsErrorsAndStackTracesButNotTheExpectedLibraryWarnings() {
    // given
    List<String> lines =
        List.of(
            "Kafka broker:      127.0.0.1:9092",
            "14:15:31.676 WARN  o.a.k.c.QuorumController - [QuorumController id=1] Performing"
                + " controller activation. The metadata log appears to be empty. Appending 6",
            "14:15:32.712 INFO  i.s.local.EmbeddedKafka - Kafka started",
            "transition demo-taleus-listener-0               #1  [*] -> L_PROCESS_CONTACT",
            "14:15:39.453 WARN  o.a.k.streams.StreamsConfig - Processing exception handler is not",
            "14:15:40.000 ERROR i.s.app.StatewardenApp - Stream thread failed; replacing it",
            "java.lang.IllegalStateException: broken",
            "\tat io.statewarden.X.y(X.java:1)",
            "Caused by: java.io.IOException: gone",
            "14:16:14.898 WARN  o.a.k.clients.NetworkClient - [NodeToControllerChannelManager id=1"
                + " name=registration] Attempting to close NetworkClient that has already been"
                + " closed.",
            "14:16:14.899 WARN  o.a.k.clients.NetworkClient - [Producer clientId=p] Connection to"
                + " node -1 could not be established.",
            "while stopping: java.lang.IllegalStateException: x");

    // when
    List<String> problems = LocalCommandIT.problems(lines);

    // then
    assertThat(problems)
        .containsExactly(
            lines.get(4),
            lines.get(5),
            lines.get(6),
            lines.get(7),
            lines.get(8),
            lines.get(10),
            lines.get(11));
  }
}
