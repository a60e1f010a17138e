package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PathSegmentTest {
  @Test
  void shouldDecodeAsAPathSegmentNotAsAForm() {
    assertThat(PathSegment.decode("a+b")).isEqualTo("a+b");
    assertThat(PathSegment.decode("a%2Bb")).isEqualTo("a+b");
    assertThat(PathSegment.decode("a%20b")).isEqualTo("a b");
    assertThat(PathSegment.decode("a%2Fb%2fc")).isEqualTo("a/b/c");
    assertThat(PathSegment.decode("caf%C3%A9")).isEqualTo("café");
    assertThat(PathSegment.decode("~-._!$&'()*,;=:@")).isEqualTo("~-._!$&'()*,;=:@");
  }

  @Test
  void shouldReadBackWhatTheCliAndForwardingSend() {
    // SessionCommand and SessionQuery.forward encode this way
    for (String id : new String[] {"a+b", "a b", "a/b", "50%", "é€😀", "?#&="}) {
      String sent = URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
      assertThat(PathSegment.decode(sent)).as(sent).isEqualTo(id);
    }
  }

  @Test
  void shouldRefuseWhatIsNotOneWellFormedSegment() {
    assertThatThrownBy(() -> PathSegment.decode("a%zz")).hasMessageContaining("two hex digits");
    assertThatThrownBy(() -> PathSegment.decode("a%2")).hasMessageContaining("two hex digits");
    assertThatThrownBy(() -> PathSegment.decode("a%C3")).hasMessageContaining("not UTF-8");
    assertThatThrownBy(() -> PathSegment.decode("a/b")).hasMessageContaining("percent-encoded");
    assertThatThrownBy(() -> PathSegment.decode("é")).hasMessageContaining("percent-encoded");
  }
}
