package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class RecordMacTest {
  static final String OLD = "old-key-0123456789abcdef0123456789abcdef";
  static final String NEW = "new-key-0123456789abcdef0123456789abcdef";
  static final byte[] KEY = "s1".getBytes(StandardCharsets.UTF_8);
  static final byte[] VALUE = {0, 1, 2, 3};

  static Headers signed(RecordMac mac) {
    Headers h = new RecordHeaders();
    h.add("statewarden.source.topic", "t".getBytes(StandardCharsets.UTF_8));
    h.add("trace-id", "x".getBytes(StandardCharsets.UTF_8));
    mac.sign(KEY, VALUE, h);
    return h;
  }

  @Test
  void shouldVerifyRecordsSignedWithAnEarlierKeyAfterARotationButNeverSignWithIt() {
    // given a record signed before the rotation
    Headers before = signed(RecordMac.of(OLD, List.of()));

    // when the new key signs and the old one is kept for verifying
    RecordMac rotated = RecordMac.of(NEW, List.of(OLD));

    // then
    assertThat(rotated.verify(KEY, VALUE, before)).isTrue();
    assertThat(RecordMac.of(NEW, List.of()).verify(KEY, VALUE, before))
        .as("without the earlier key")
        .isFalse();
    assertThat(rotated.signingKeyId()).isEqualTo(RecordMac.of(NEW, List.of()).signingKeyId());
    assertThat(RecordMac.of(OLD, List.of()).verify(KEY, VALUE, signed(rotated))).isFalse();
  }

  @Test
  void shouldCoverKeyValueAndStatewardenHeadersOnly() {
    RecordMac mac = RecordMac.of(NEW, List.of());
    Headers h = signed(mac);
    assertThat(mac.verify(KEY, VALUE, h)).isTrue();

    assertThat(mac.verify("s2".getBytes(StandardCharsets.UTF_8), VALUE, h)).isFalse();
    assertThat(mac.verify(KEY, new byte[] {0, 1, 2, 4}, h)).isFalse();
    assertThat(mac.verify(null, VALUE, h)).isFalse();
    Headers more = new RecordHeaders(h.toArray());
    more.add("statewarden.error", "x".getBytes(StandardCharsets.UTF_8));
    assertThat(mac.verify(KEY, VALUE, more)).as("an added statewarden header").isFalse();
    Headers other = new RecordHeaders(h.toArray());
    other.add("trace-id", "y".getBytes(StandardCharsets.UTF_8));
    assertThat(mac.verify(KEY, VALUE, other)).as("other headers are not covered").isTrue();
    Headers twice = new RecordHeaders(h.toArray());
    twice.add(h.lastHeader(RecordMac.HEADER));
    assertThat(mac.verify(KEY, VALUE, twice)).as("two signatures").isFalse();
    assertThat(mac.verify(KEY, VALUE, new RecordHeaders())).isFalse();
  }

  @Test
  void shouldRefuseAShortKeyWithoutShowingIt() {
    assertThatThrownBy(() -> RecordMac.of("short-secret", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 32")
        .message()
        .doesNotContain("short-secret");
  }
}
