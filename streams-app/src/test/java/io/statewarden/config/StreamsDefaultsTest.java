package io.statewarden.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StreamsDefaultsTest {
  @Test
  void shouldGiveKafkaStreamsNothingToWarnAbout() {
    // given
    Logger streamsLog = (Logger) LoggerFactory.getLogger("org.apache.kafka.streams");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    streamsLog.addAppender(captured);
    Map<String, Object> props = new HashMap<>(StatewardenConfig.streamsDefaults());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");

    try {
      // when
      new StreamsConfig(props);
    } finally {
      streamsLog.detachAppender(captured);
    }

    // then
    assertThat(captured.list)
        .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .extracting(ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }
}
