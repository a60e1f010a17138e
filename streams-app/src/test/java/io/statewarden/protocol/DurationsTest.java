package io.statewarden.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({
    "500ms,500",
    "30s,30000",
    "10m,600000",
    "6h,21600000",
    "7d,604800000",
    "PT30S,30000",
    "PT1M30S,90000"
  })
  void shouldParseBothForms(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "5 s", "-1s", "0s", "PT0S", "1w", "s"})
  void shouldRefuseOthers(String text) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"500,500ms", "30000,30s", "600000,10m", "7200000,2h", "604800000,7d", "1500,1500ms"})
  void shouldFormatShortForm(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
  }
}
