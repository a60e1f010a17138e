package io.statewarden.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.PrometheusTextParser;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver};
 * {@code .ci/run} installs them, a plain build without them skips this test) against a real
 * instance on the real broker, with a token required. Screenshots go to {@code
 * target/console-screenshots}, or to {@code docs/console} with {@code
 * -Dstatewarden.console.screenshots=../docs/console}.
 */
@ExtendWith(RealKafka.class)
class ConsoleBrowserIT {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  static final String TOKEN = "console-test-token-5b1e";
  static final String OPERATOR_TOKEN = "console-operator-token-0123456789";
  static final String XSS =
      "<script>window.__xss='script'</script><img src=x onerror=\"window.__xss='img';alert(1)\">";

  /** A protocol with a deadline the test can watch fire: NOTED moves to EXPIRED after 8 s. */
  static final String PROTOCOL =
      """
      protocol: console-test
      version: 1
      description: the console's browser test
      initial: OPEN
      start: [Open]
      states:
        OPEN:
          on:
            Note: {to: NOTED, set: {note: "event.payload.note"}}
        NOTED:
          timeout: {after: 8s, to: EXPIRED}
        EXPIRED: {final: BACKED_OUT}
      """;

  @TempDir Path dir;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();
  WebDriver browser;
  Path shots;

  @BeforeEach
  void browser() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "the console's browser tests need Debian's chromium and chromium-driver packages"
            + " (apt-get install chromium chromium-driver; .ci/run installs them): skipped");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build(),
            options);
    shots =
        Path.of(
            System.getProperty("statewarden.console.screenshots", "target/console-screenshots"));
    Files.createDirectories(shots);
  }

  @AfterEach
  void close() {
    if (browser != null) browser.quit();
  }

  @Test
  void showsProtocolsSessionsDeadlinesAndDeadLettersSafely(KafkaInfra infra) throws Exception {
    Path protocols = dir.resolve("protocols");
    Files.createDirectories(protocols);
    Files.writeString(protocols.resolve("console-test.yaml"), PROTOCOL);
    try (Deployment d = new Deployment(infra, dir.resolve("state"), 2)) {
      d.extra.put(StatewardenConfig.HTTP_TOKEN, TOKEN);
      d.extra.put(StatewardenConfig.HTTP_OPERATOR_TOKEN, OPERATOR_TOKEN);
      d.extra.put(StatewardenConfig.PROTOCOLS_DIRS, protocols.toString());
      // two fires in a minute make a storm (the threshold is punctuation.max.fires)
      d.extra.put(StatewardenConfig.PUNCTUATION_MAX_FIRES, "2");
      int port = d.start().httpPort();
      String base = "http://127.0.0.1:" + port;
      long now = System.currentTimeMillis();
      send(d, "held-1", "e1", "Open", Map.of(), now);
      send(d, "held-2", "e1", "Open", Map.of(), now);

      // the page and its scripts: open, under a CSP that allows no inline script or style, not
      // sniffed, revalidated by their entity tag
      for (String path : List.of("/", "/console/app.js", "/console/vendor/mermaid.min.js")) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow())
            .contains("default-src 'none'", "script-src 'self';", "style-src 'self';")
            .doesNotContain("unsafe");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
        String etag = r.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again =
            http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                    .header("If-None-Match", etag)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).as(path + " revalidated").isEqualTo(304);
      }
      for (String outside :
          List.of(
              "/console/../logback.xml",
              "/console/%2e%2e/logback.xml",
              "/console/x/../../logback.xml")) {
        assertThat(
                http.send(
                        HttpRequest.newBuilder(URI.create(base + outside)).build(),
                        HttpResponse.BodyHandlers.ofString())
                    .statusCode())
            .as(outside)
            .isIn(400, 401, 404);
      }

      // the token is asked for before anything is shown, and kept out of the URL
      browser.get(base + "/");
      WebElement tokenForm = browser.findElement(By.id("token-form"));
      await(() -> tokenForm.isDisplayed());
      assertThat(browser.findElements(By.cssSelector("section.protocol"))).isEmpty();
      browser.findElement(By.id("token")).sendKeys(TOKEN);
      browser.findElement(By.cssSelector("#token-form button")).click();
      await(() -> !tokenForm.isDisplayed());
      assertThat(browser.getCurrentUrl()).doesNotContain(TOKEN);
      assertThat(js("return sessionStorage.getItem('statewarden.token')")).isEqualTo(TOKEN);

      // every built-in protocol and version, each with its diagram drawn
      JsonNode all = json.readTree(get(base + "/protocols").body());
      assertThat(all.findValuesAsText("name"))
          .containsAll(ProtocolCatalog.BUILTIN.stream().map(n -> n.replace(".yaml", "")).toList());
      for (JsonNode p : all) {
        String css =
            "section.protocol[data-protocol='"
                + p.get("name").asText()
                + "'][data-version='"
                + p.get("version").asText()
                + "'] .diagram svg";
        await(() -> !browser.findElements(By.cssSelector(css)).isEmpty());
      }
      // the counts on the page are the API's: two sessions held in OPEN, drawn on the diagram too
      await(() -> countOnPage("console-test", "OPEN") == 2);
      await(() -> diagramText("console-test").contains("2 active"));
      Map<String, Double> active = activeFromMetrics(base);
      @SuppressWarnings("unchecked")
      List<List<String>> cells =
          (List<List<String>>)
              js(
                  "return [...document.querySelectorAll('section.protocol td.count')].map(c =>"
                      + " [c.closest('section').dataset.protocol, c.dataset.state, c.textContent])");
      assertThat(cells).hasSizeGreaterThan(all.size());
      for (List<String> c : cells) {
        assertThat(Double.parseDouble(c.get(2)))
            .as("%s %s", c.get(0), c.get(1))
            .isEqualTo(active.getOrDefault(c.get(0) + "|" + c.get(1), 0.0));
      }
      js(
          "document.querySelector(\"section.protocol[data-protocol='console-test']\")"
              + ".scrollIntoView()");
      screenshot("protocols");

      // a session with hostile data: open its page first, then create it; it appears, its data
      // is shown as text, and its deadline moves it on without a reload
      browser.get(base + "/#/session/watched");
      js("window.__loadedOnce = 'yes'");
      send(d, "watched", "e1", "Open", Map.of(), System.currentTimeMillis());
      send(d, "watched", "e2", "Note", Map.of("note", XSS), System.currentTimeMillis());
      // and a rejected event whose type is a payload too
      send(
          d, "watched", "e3", "<img src=x onerror=alert(2)>", Map.of(), System.currentTimeMillis());
      await(() -> text("#session-state").equals("NOTED"));
      await(() -> browser.getPageSource().contains("INVALID_TRANSITION"));
      String data = text(".data-value");
      assertThat(data).isEqualTo(json.writeValueAsString(XSS));
      assertThat(browser.findElements(By.cssSelector("main img")))
          .as("no element made of data")
          .isEmpty();
      assertThat(text("main")).contains("<img src=x onerror=alert(2)>");
      // the timeline: each move with its trigger, event (type and id) and time
      assertThat(stepTexts()).hasSize(2);
      assertThat(stepTexts().get(0)).startsWith("OPEN EVENT Open e1 ");
      assertThat(stepTexts().get(1)).startsWith("NOTED EVENT Note e2 ");
      screenshot("session");
      await(() -> text("#session-state").equals("EXPIRED"));
      assertThat(text("#session-status")).isEqualTo("BACKED_OUT");
      // the deadline's move: trigger TIMEOUT, no event (a deadline has no id), at the deadline
      JsonNode watched = json.readTree(get(base + "/sessions/watched").body());
      JsonNode timeout = watched.get("timeline").get(2);
      assertThat(timeout.get("state").asText()).isEqualTo("EXPIRED");
      assertThat(timeout.get("trigger").asText()).isEqualTo("TIMEOUT");
      assertThat(timeout.get("eventId").isNull()).isTrue();
      assertThat(timeout.get("at").asLong())
          .isEqualTo(watched.get("timeline").get(1).get("at").asLong() + 8_000);
      assertThat(watched.get("timeline").get(1).get("eventId").asText()).isEqualTo("e2");
      await(() -> stepTexts().size() == 3);
      assertThat(stepTexts().get(2))
          .isEqualTo(
              "EXPIRED TIMEOUT (no event: its deadline) "
                  + text("ol.timeline li:nth-child(3) .step-at"));
      assertThat(text("ol.timeline li:nth-child(3) .step-at"))
          .isEqualTo(
              java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS 'UTC'")
                  .withZone(java.time.ZoneOffset.UTC)
                  .format(java.time.Instant.ofEpochMilli(timeout.get("at").asLong())));
      assertThat(js("return window.__loadedOnce")).as("the page was not reloaded").isEqualTo("yes");
      assertThat(js("return window.__xss === undefined")).as("no payload ran").isEqualTo(true);
      assertNoAlert();

      // an operator action from the session page: the read token is refused and nothing moves;
      // the operator token cancels, and the page shows the session backed out without a reload
      browser.get(base + "/#/session/held-1");
      await(() -> text("#session-state").equals("OPEN"));
      act("cancel", "stuck in the browser test", TOKEN);
      await(() -> text("#action-result").startsWith("refused (HTTP 403)"));
      act("cancel", "stuck in the browser test", OPERATOR_TOKEN);
      await(() -> text("#action-result").startsWith("cancel accepted: command "));
      await(() -> text("#session-status").equals("BACKED_OUT"));
      assertThat(text("#session-state")).isEqualTo("EXPIRED");
      assertThat(browser.getCurrentUrl()).doesNotContain(OPERATOR_TOKEN).doesNotContain(TOKEN);
      screenshot("session-cancelled");

      // sessions, longest in their state first
      browser.get(base + "/#/sessions");
      // live sessions only: held-2 waits in OPEN; held-1 (cancelled) and watched (expired) ended
      await(() -> text("main").contains("held-2"));
      assertThat(browser.findElements(By.cssSelector("tr.session-row"))).hasSize(1);
      assertThat(text("main")).doesNotContain("held-1").doesNotContain("watched");
      screenshot("sessions");

      // a timer storm: four sessions whose deadlines come due together, two fires making a storm
      long burst = System.currentTimeMillis();
      for (int i = 1; i <= 4; i++) {
        send(d, "burst-" + i, "e1", "Open", Map.of(), burst);
        send(d, "burst-" + i, "e2", "Note", Map.of("note", "storm"), burst);
      }
      browser.get(base + "/#/deadlines");
      await(() -> browser.getPageSource().contains("Lateness"));
      await(() -> !browser.findElements(By.cssSelector("tr.due")).isEmpty());
      // the last hour, minute by minute, drawn as SVG bars; the storm minute marked and listed
      assertThat(browser.findElements(By.cssSelector("#storms svg rect.minute"))).hasSize(60);
      await(() -> !browser.findElements(By.cssSelector("#storms rect.minute.storm")).isEmpty());
      await(() -> !browser.findElements(By.cssSelector("#storms tr.storm-row")).isEmpty());
      JsonNode fires = json.readTree(get(base + "/stats?scope=cluster").body()).get("fires");
      assertThat(fires.get("stormFires").asInt()).isEqualTo(2);
      long firedInHour = 0;
      for (JsonNode m : fires.get("minutes")) firedInHour += m.get("fired").asLong();
      assertThat(firedInHour).as("watched and the four bursts timed out").isGreaterThanOrEqualTo(5);
      @SuppressWarnings("unchecked")
      List<Long> drawn =
          (List<Long>)
              js(
                  "return [...document.querySelectorAll('#storms rect.storm')]"
                      + ".map(r => Number(r.dataset.fired))");
      assertThat(drawn).allMatch(n -> n >= 2);
      assertThat(text("#storms")).contains("at least 2 deadlines");
      screenshot("deadlines");

      // a dead letter whose bytes are a payload: shown as text
      d.sendRaw(
          d.topics.eventsJson(),
          "bad",
          XSS.getBytes(StandardCharsets.UTF_8),
          System.currentTimeMillis());
      browser.get(base + "/#/dead-letters");
      await(() -> !browser.findElements(By.cssSelector("section.dead-letter")).isEmpty());
      assertThat(text("section.dead-letter pre")).isEqualTo(XSS);
      assertThat(text("section.dead-letter")).contains("statewarden.");
      screenshot("dead-letters");
      assertThat(js("return window.__xss === undefined")).isEqualTo(true);
      assertNoAlert();
    }
  }

  void send(
      Deployment d, String session, String id, String type, Map<String, Object> payload, long at)
      throws Exception {
    d.sendJson(
        session,
        Deployment.json(session, id, "console-test", type, json.writeValueAsString(payload)),
        at);
  }

  /** The session page's timeline, one text per entry. */
  @SuppressWarnings("unchecked")
  List<String> stepTexts() {
    return (List<String>)
        js(
            "return [...document.querySelectorAll('ol.timeline li.step')]"
                + ".map(li => li.innerText.trim().replace(/\\s+/g, ' '))");
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  Map<String, Double> activeFromMetrics(String base) throws Exception {
    Map<String, Double> m = new HashMap<>();
    var family =
        PrometheusTextParser.parse(get(base + "/metrics").body())
            .get("statewarden_sessions_active");
    if (family != null) {
      family
          .samples()
          .forEach(
              s -> m.put(s.labels().get("protocol") + "|" + s.labels().get("state"), s.value()));
    }
    return m;
  }

  double countOnPage(String protocol, String state) {
    String t =
        text(
            "section.protocol[data-protocol='"
                + protocol
                + "'] td.count[data-state='"
                + state
                + "']");
    return t.isEmpty() ? -1 : Double.parseDouble(t);
  }

  String diagramText(String protocol) {
    return text("section.protocol[data-protocol='" + protocol + "'] .diagram");
  }

  /** The text of the first element {@code css} selects now ("" for none), read in one step. */
  String text(String css) {
    return (String)
        ((JavascriptExecutor) browser)
            .executeScript(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css);
  }

  Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  /** Sends an operator action from the session page's form. */
  void act(String action, String reason, String token) {
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.name("action")))
        .selectByValue(action);
    for (String field : List.of("reason", "operator-token")) {
      browser.findElement(By.name(field)).clear();
    }
    browser.findElement(By.name("reason")).sendKeys(reason);
    browser.findElement(By.name("operator-token")).sendKeys(token);
    js("document.getElementById('action-result').textContent = ''");
    browser.findElement(By.cssSelector("#actions button")).click();
  }

  void assertNoAlert() {
    try {
      browser.switchTo().alert();
      throw new AssertionError("an alert was opened: a payload ran");
    } catch (NoAlertPresentException expected) {
      // nothing ran
    }
  }

  void await(java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> condition.getAsBoolean());
  }

  void screenshot(String name) throws Exception {
    byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
    Files.write(shots.resolve(name + ".png"), png);
  }
}
