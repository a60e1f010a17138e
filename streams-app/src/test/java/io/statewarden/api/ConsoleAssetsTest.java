package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConsoleAssetsTest {
  final ConsoleAssets assets = new ConsoleAssets();

  @Test
  void servesTheConsoleFilesWithTheirTypes() {
    assertThat(assets.get("index.html").orElseThrow().type()).startsWith("text/html");
    assertThat(assets.get("app.js").orElseThrow().type()).startsWith("text/javascript");
    assertThat(assets.get("console.css").orElseThrow().type()).startsWith("text/css");
    // Mermaid, unpacked from its WebJar into the jar by the build
    assertThat(assets.get("vendor/mermaid.min.js").orElseThrow().bytes().length)
        .isGreaterThan(1_000_000);
    assertThat(assets.get("app.js").orElseThrow().etag()).matches("\"[0-9a-f]{24}\"");
  }

  @Test
  void servesNothingElse() {
    for (String name :
        new String[] {
          "../logback.xml",
          "vendor/../../logback.xml",
          "../protocols/taleus-listener.yaml",
          "..%2Flogback.xml",
          "/etc/passwd",
          "a/b/c.js",
          "index.html.bak",
          "App.js",
          "missing.js",
          ""
        }) {
      assertThat(assets.get(name)).as(name).isEmpty();
    }
  }
}
