package io.statewarden.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StreamsDefaultsTest {
  @Test
  void shouldGiveKafkaStreamsNothingToWarnAboutWhenItIsCreated() {
    // given
    Logger streamsLog = (Logger) LoggerFactory.getLogger("org.apache.kafka");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    streamsLog.addAppender(captured);
    Map<String, Object> props = new HashMap<>(StatewardenConfig.streamsDefaults());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
    // a state directory under the OS temp directory is warned about: use the build's
    props.put(
        StreamsConfig.STATE_DIR_CONFIG, Path.of("target", "streams-defaults-test").toString());

    try {
      // when: the instance as StatewardenApp builds it (its stream thread's consumer and its
      // partition assignor read their own copies of the settings)
      StreamsBuilder b = new StreamsBuilder();
      b.stream("in").to("out");
      Properties p = new Properties();
      p.putAll(props);
      new KafkaStreams(b.build(), p).close(Duration.ZERO);
    } finally {
      streamsLog.detachAppender(captured);
    }

    // then
    assertThat(captured.list)
        .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        // no broker here: failed connections are not the point
        .filteredOn(e -> !e.getLoggerName().equals("org.apache.kafka.clients.NetworkClient"))
        .extracting(ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }
}
