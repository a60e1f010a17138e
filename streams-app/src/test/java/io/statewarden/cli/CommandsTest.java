package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.statewarden.cli.Cli.Run;
import io.statewarden.protocol.ProtocolCatalog;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command and subcommand, through the real {@link Main#main} with the real standard streams
 * and exit code: what it prints on success, and what it says on the errors a user makes. No stack
 * trace ever reaches the user. The commands that need a running cluster ({@code run}, {@code
 * replay}, {@code session}, {@code local}) only for their help and argument errors.
 */
class CommandsTest {
  static final String GOOD =
      "protocol: good\nversion: 1\ninitial: A\nstart: [Go]\nstates:\n  A: {final: COMPLETED}\n";

  @TempDir Path dir;

  static final String KEY = "cli-test-signing-key-0123456789abcdef";

  static final String NO_KEY =
      "statewarden: statewarden.signing.key is not set; statewarden signs its timer records with"
          + " it (docs/security.md); set it, or statewarden.signing.key.file to a file holding it,"
          + " in the --config file, with -D or as the environment variable"
          + " STATEWARDEN_SIGNING_KEY; generate one with: openssl rand -base64 32\n";

  Path file(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  static Run ok(String... args) {
    Run r = Cli.main(args).assertNoStackTrace();
    assertThat(r.exit()).as("exit code; stderr: %s", r.err()).isZero();
    return r;
  }

  static Run fails(int exit, String... args) {
    Run r = Cli.main(args).assertNoStackTrace();
    assertThat(r.exit()).as("exit code; out: %s; err: %s", r.out(), r.err()).isEqualTo(exit);
    assertThat(r.err()).doesNotContainPattern("java\\.[a-z]+\\.|[A-Z]\\w+Exception");
    return r;
  }

  /** Every command path, from the command line's own list, so a new command is covered too. */
  static List<List<String>> commandPaths(CommandLine cl, List<String> prefix) {
    List<List<String>> out = new ArrayList<>();
    cl.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (sub.getCommandSpec().aliases().length > 0 && !name.equals(sub.getCommandName())
                  || sub.getCommandSpec().usageMessage().hidden()) {
                return;
              }
              List<String> path = new ArrayList<>(prefix);
              path.add(name);
              out.add(path);
              out.addAll(commandPaths(sub, path));
            });
    return out;
  }

  @Test
  void shouldAnswerHelpWithUsageForEveryCommandAndSubcommand() {
    List<List<String>> paths = commandPaths(Main.commandLine(), List.of());
    assertThat(paths)
        .contains(
            List.of("protocols", "list"),
            List.of("protocols", "validate"),
            List.of("protocols", "diagram"),
            List.of("protocols", "simulate"),
            List.of("run"),
            List.of("replay"),
            List.of("session"),
            List.of("help"));
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      Run r = ok(args.toArray(String[]::new));
      assertThat(r.out()).as("%s", args).contains("Usage: statewarden " + String.join(" ", path));
      assertThat(r.err()).as("%s", args).isEmpty();
    }
  }

  @Test
  void shouldPrintUsageAndVersionAtTheTop() {
    assertThat(ok("--help").out()).contains("Usage: statewarden").contains("protocols");
    assertThat(ok("--version").out()).startsWith("statewarden ");
    assertThat(ok("help", "protocols").out()).contains("Usage: statewarden protocols");
    assertThat(fails(2).err()).contains("Missing required subcommand").contains("Usage:");
    assertThat(fails(2, "nope").err()).contains("Unmatched argument").contains("'nope'");
    assertThat(fails(2, "protocols").err()).contains("Missing required subcommand");
  }

  @Nested
  class ProtocolsList {
    @Test
    void shouldListBuiltinsAndExtraDefinitions() throws Exception {
      assertThat(ok("protocols", "list").out()).contains(ProtocolCatalog.BUILTIN);
      file("good.yaml", GOOD);
      assertThat(ok("protocols", "list", "--protocols", dir.toString()).out()).contains("good");
    }

    @Test
    void shouldNameMissingDirectoryAndBadDefinition() throws Exception {
      assertThat(fails(1, "protocols", "list", "--protocols", "no-such-dir").err())
          .isEqualTo("no-such-dir: no such file or directory\n");
      file("bad.yaml", "protocol: bad\n");
      assertThat(fails(1, "protocols", "list", "--protocols", dir.toString()).err())
          .contains("bad.yaml")
          .contains("version: missing");
    }
  }

  @Nested
  class ProtocolsValidate {
    @Test
    void shouldValidateFilesAndBuiltins() throws Exception {
      Path good = file("good.yaml", GOOD);
      assertThat(ok("protocols", "validate", good.toString(), "consensus-round").out())
          .contains("good.yaml: ok (good@1, 1 states)")
          .contains("consensus-round: ok");
    }

    @Test
    void shouldSayNoSuchFileOrBuiltin() {
      assertThat(fails(1, "protocols", "validate", "missing.yaml").err())
          .startsWith("missing.yaml: no such file or built-in protocol (built-in: coinswap-alice");
    }

    @Test
    void shouldRefuseDirectoryAndTextThatIsNotUtf8() throws Exception {
      assertThat(fails(1, "protocols", "validate", dir.toString()).err())
          .isEqualTo(dir + ": is a directory, not a file\n");
      Path latin1 = dir.resolve("latin1.yaml");
      Files.write(
          latin1,
          "protocol: x\nversion: 1\ndescription: caf\u00e9\n"
              .getBytes(StandardCharsets.ISO_8859_1));
      assertThat(fails(1, "protocols", "validate", latin1.toString()).err())
          .isEqualTo(latin1 + ":3: not UTF-8 text\n");
    }

    @Test
    void shouldPointDuplicateKeyAtTheDuplicate() throws Exception {
      Path dup =
          file(
              "dup.yaml",
              "protocol: dup\nversion: 1\ninitial: A\nstart: [Go]\nstates:\n"
                  + "  A: {final: COMPLETED}\n"
                  + "initial: B\n");
      assertThat(fails(1, "protocols", "validate", dup.toString()).err())
          .isEqualTo(dup + ":7: initial: duplicate key 'initial' (first at line 3)\n");
    }

    @Test
    void shouldAskForAFile() {
      assertThat(fails(2, "protocols", "validate").err()).contains("Missing required parameter");
    }
  }

  @Nested
  class ProtocolsDiagram {
    @Test
    void shouldDrawEveryBuiltinAndAFileOnStdout() throws Exception {
      for (String name : ProtocolCatalog.BUILTIN) {
        Run r = ok("protocols", "diagram", name);
        assertThat(r.out()).as(name).startsWith("stateDiagram-v2\n").endsWith("\n");
        assertThat(r.err()).isEmpty();
      }
      Path good = file("good.yaml", GOOD);
      assertThat(ok("protocols", "diagram", good.toString()).out())
          .startsWith("stateDiagram-v2")
          .contains("[*] --> A: Go");
    }

    @Test
    void shouldSayNoSuchFileOrBuiltin() {
      Run r = fails(1, "protocols", "diagram", "missing.yaml");
      assertThat(r.err()).startsWith("missing.yaml: no such file or built-in protocol");
      assertThat(r.out()).isEmpty();
    }
  }

  @Nested
  class ProtocolsSimulate {
    static final String LINE =
        "{\"eventId\":\"e1\",\"sessionId\":\"s1\",\"protocol\":\"taleus-listener\","
            + "\"type\":\"InboundContact\",\"timestamp\":0}\n";

    @Test
    void shouldSimulateFromFileAndFromStdin() throws Exception {
      Path s = file("s.jsonl", LINE + "{\"advanceTo\": 6000}\n");
      assertThat(ok("protocols", "simulate", "--events", s.toString()).out().lines())
          .hasSize(5)
          .anyMatch(l -> l.contains("\"kind\":\"backout\""));
      Run stdin =
          Cli.withStdin(LINE, "protocols", "simulate", "taleus-listener", "--events", "-")
              .assertNoStackTrace();
      assertThat(stdin.exit()).isZero();
      assertThat(stdin.out()).contains("\"to\":\"L_PROCESS_CONTACT\"");
    }

    @Test
    void shouldNameTheLineWithoutTimestamp() throws Exception {
      Path s = file("s.jsonl", LINE.replace(",\"timestamp\":0", ""));
      assertThat(fails(2, "protocols", "simulate", "--events", s.toString()).err())
          .isEqualTo(
              s
                  + ":1: missing field 'timestamp' (the record timestamp: epoch millis or"
                  + " ISO-8601)\n");
    }

    @Test
    void shouldRefuseHistoryLimitBelowOne() {
      for (String limit : List.of("0", "-1")) {
        Run r = fails(2, "protocols", "simulate", "--events", "-", "--history-limit", limit);
        assertThat(r.err())
            .startsWith(
                "Invalid value for option '--history-limit': expected at least 1, but got " + limit)
            .contains("Usage:");
      }
    }

    @Test
    void shouldNameEventsThatAreNotAReadableFile() throws Exception {
      assertThat(fails(2, "protocols", "simulate", "--events", dir.toString()).err())
          .isEqualTo(dir + ": is a directory, not a file\n");
      assertThat(fails(2, "protocols", "simulate", "--events", "missing.jsonl").err())
          .isEqualTo("missing.jsonl: no such file\n");
      Path latin1 = dir.resolve("latin1.jsonl");
      Files.write(latin1, (LINE + "# caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1));
      Run r = fails(2, "protocols", "simulate", "--events", latin1.toString());
      assertThat(r.err()).isEqualTo(latin1 + ":2: not UTF-8 text\n");
      assertThat(r.out()).contains("\"eventId\":\"e1\""); // what came before is printed
    }

    @Test
    void shouldNameMissingProtocolFileAndMissingEventsOption() {
      assertThat(fails(1, "protocols", "simulate", "nope.yaml", "--events", "-").err())
          .startsWith("nope.yaml: no such file or built-in protocol");
      assertThat(fails(2, "protocols", "simulate").err())
          .contains("Missing required option: '--events=SCENARIO.jsonl'");
    }
  }

  @Nested
  class RunCmd {
    @Test
    void shouldNameMissingConfigFileAndBadSetting() {
      assertThat(fails(1, "run", "--config", "missing.properties").err())
          .isEqualTo("statewarden: --config missing.properties: no such file\n");
      assertThat(fails(1, "run", "-D", "statewarden.http.port=abc").err())
          .startsWith("statewarden: ")
          .contains("statewarden.http.port");
      assertThat(fails(2, "run", "--bogus").err()).contains("Unknown option: '--bogus'");
    }

    @Test
    void shouldRefuseAnUnknownStatewardenSettingNamingTheNearest() {
      assertThat(fails(1, "run", "-D", "statewarden.http.prot=8070").err())
          .isEqualTo(
              "statewarden: unknown setting statewarden.http.prot; did you mean"
                  + " statewarden.http.port?\n");
    }

    @Test
    void shouldNameEveryMissingSettingOnALineOfItsOwnBeforeConnecting() {
      // given no cluster settings at all
      // when
      Run r = fails(1, "run", "-D", "statewarden.http.port=0");

      // then
      assertThat(r.err())
          .isEqualTo(
              "statewarden: apicurio.registry.url is not set; set it in the --config file, with -D"
                  + " apicurio.registry.url=http://HOST:PORT/apis/registry/v3 or as the"
                  + " environment variable STATEWARDEN_APICURIO_REGISTRY_URL\n"
                  + "statewarden: bootstrap.servers is not set; set it in the --config file, with"
                  + " -D bootstrap.servers=HOST:PORT[,HOST:PORT...] or as the environment variable"
                  + " STATEWARDEN_BOOTSTRAP_SERVERS\n"
                  + NO_KEY);
      assertThat(
              fails(
                      1,
                      "run",
                      "-D",
                      "bootstrap.servers=127.0.0.1:1",
                      "-D",
                      "apicurio.registry.url=localhost:8080",
                      "-D",
                      "statewarden.signing.key=" + KEY)
                  .err())
          .isEqualTo(
              "statewarden: apicurio.registry.url 'localhost:8080' is not an http:// or https://"
                  + " URL such as http://HOST:PORT/apis/registry/v3\n");
    }

    @Test
    void shouldRefuseToRunOrReplayWithoutAGoodSigningKeyInOneLineNeverShowingIt() throws Exception {
      String[] cluster = {
        "-D",
        "bootstrap.servers=127.0.0.1:1",
        "-D",
        "apicurio.registry.url=http://127.0.0.1:1/apis/registry/v3"
      };
      for (List<String> command :
          List.of(List.of("run"), List.of("replay", "--output-prefix", "r"))) {
        // no key
        assertThat(fails(1, args(command, cluster)).err()).isEqualTo(NO_KEY);
        // a key too short
        Run shortKey =
            fails(1, args(command, cluster, "-D", "statewarden.signing.key=too-short-k3y"));
        assertThat(shortKey.err())
            .startsWith("statewarden: the signing key (statewarden.signing.key or")
            .contains("at least 32")
            .doesNotContain("too-short-k3y");
        assertThat(shortKey.err().lines()).hasSize(1);
        // a key file that is not there, an earlier key too short
        assertThat(
                fails(
                        1,
                        args(
                            command,
                            cluster,
                            "-D",
                            "statewarden.signing.key.file=" + dir.resolve("nope")))
                    .err())
            .startsWith("statewarden: Invalid value ")
            .contains("statewarden.signing.key.file: no such key file");
        Path file = file("key", "  " + KEY + "\n");
        assertThat(
                fails(
                        1,
                        args(
                            command,
                            cluster,
                            "-D",
                            "statewarden.signing.key.file=" + file,
                            "-D",
                            "statewarden.signing.previous.keys=" + KEY + ",old-sh0rt"))
                    .err())
            .startsWith("statewarden: an earlier signing key")
            .doesNotContain("old-sh0rt")
            .doesNotContain(KEY);
      }
    }

    String[] args(List<String> command, String[] cluster, String... more) {
      List<String> all = new ArrayList<>(command);
      all.addAll(List.of(cluster));
      all.addAll(List.of(more));
      return all.toArray(String[]::new);
    }

    @Test
    void shouldSayInOneLineThatNoBrokerAnswered() throws Exception {
      // given a port nothing listens on
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }

      // when
      long began = System.nanoTime();
      Run r = fails(3, run("127.0.0.1:" + closed, "1000"));

      // then
      assertThat(r.err())
          .isEqualTo(
              "statewarden: no Kafka broker answered at 127.0.0.1:"
                  + closed
                  + " (bootstrap.servers) within 1 s: connection refused\n");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - began))
          .isLessThan(java.time.Duration.ofSeconds(15));
    }

    @Test
    void shouldSayInOneLineThatTheBrokerAcceptedButDidNotAnswer() throws Exception {
      // given a port that accepts connections and never answers
      try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
        // when
        Run r = fails(3, run("127.0.0.1:" + s.getLocalPort(), "2000"));

        // then
        assertThat(r.err())
            .startsWith("statewarden: Kafka at 127.0.0.1:" + s.getLocalPort())
            .contains("accepted a connection but did not answer within")
            .endsWith("check that security.protocol (PLAINTEXT) matches the broker's listener\n");
        assertThat(r.err().lines()).hasSize(1);
      }
    }

    @Test
    void shouldRefuseAnHttpApiOpenToAnyoneInOneLineBeforeConnecting() throws Exception {
      // given a port no broker listens on: a start that gets past the check says so (exit 3)
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }
      String[] open = with(run("127.0.0.1:" + closed, "1000"), "statewarden.http.host=0.0.0.0");

      // when HTTP is bound to all interfaces without a token, then it is refused, in one line
      assertThat(fails(1, open).err())
          .isEqualTo(
              "statewarden: the HTTP API would serve sessions and metrics on 0.0.0.0"
                  + " (statewarden.http.host) to anyone who can connect: set"
                  + " statewarden.http.token.file or statewarden.http.token, bind 127.0.0.1, or set"
                  + " statewarden.http.allow-anonymous=true to serve it without a token\n");

      // and with a token, or anonymous access asked for, the start goes on to the broker
      for (String setting :
          List.of("statewarden.http.token=t0ken", "statewarden.http.allow-anonymous=true")) {
        assertThat(fails(3, with(open, setting)).err())
            .as(setting)
            .startsWith("statewarden: no Kafka broker answered");
      }
    }

    String[] with(String[] args, String setting) {
      List<String> all = new ArrayList<>(List.of(args));
      all.add("-D");
      all.add(setting);
      return all.toArray(String[]::new);
    }

    String[] run(String bootstrap, String timeoutMs) {
      return new String[] {
        "run",
        "-D",
        "bootstrap.servers=" + bootstrap,
        "-D",
        "apicurio.registry.url=http://127.0.0.1:1/apis/registry/v3",
        "-D",
        "statewarden.startup.timeout.ms=" + timeoutMs,
        "-D",
        "statewarden.http.port=0",
        "-D",
        "statewarden.signing.key=" + KEY,
        "-D",
        "state.dir=" + dir.resolve("state")
      };
    }
  }

  @Nested
  class Schemas {
    @Test
    void shouldNameTheMissingRegistryUrl() {
      assertThat(fails(1, "schemas", "publish").err())
          .startsWith("statewarden: apicurio.registry.url is not set")
          .hasLineCount(1);
    }

    @Test
    void shouldSayInOneLineThatTheRegistryDidNotAnswer() throws Exception {
      // given a port nothing listens on
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }
      String url = "http://127.0.0.1:" + closed + "/apis/registry/v3";

      // when
      Run r = fails(3, "schemas", "publish", "-D", "apicurio.registry.url=" + url);

      // then
      assertThat(r.err())
          .startsWith("statewarden: the schema registry at " + url + " did not answer GET ")
          .hasLineCount(1);
    }

    @Test
    void shouldSayWhatARegistryThatRefusesAnswered() throws Exception {
      // given a stand-in for a registry where this client may read but not write (Apicurio's
      // answer to a write without the developer role: 403 with a problem-details body)
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          x -> {
            boolean read = x.getRequestMethod().equals("GET");
            byte[] body =
                (read
                        ? "{\"detail\":\"No artifact with ID 'statewarden.events-value'\"}"
                        : "{\"detail\":\"User alice is not authorized to write\",\"status\":403}")
                    .getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(read ? 404 : 403, body.length);
            x.getResponseBody().write(body);
            x.close();
          });
      server.start();
      try {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/registry/v3";

        // when
        Run r = fails(1, "schemas", "publish", "-D", "apicurio.registry.url=" + url);

        // then the registry's reason, in one line
        assertThat(r.err())
            .startsWith("statewarden: the schema registry at " + url + " answered 403 to POST ")
            .endsWith(": User alice is not authorized to write\n")
            .hasLineCount(1);
      } finally {
        server.stop(0);
      }
    }
  }

  @Nested
  class SchemasWithClientCredentials {
    @Test
    void shouldSayInOneLineThatTheTokenEndpointRefusedOrTheClientIsIncomplete() throws Exception {
      // given an OIDC issuer that refuses every client (and a registry that is never reached)
      HttpServer issuer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      issuer.createContext(
          "/token",
          x -> {
            x.getRequestBody().readAllBytes();
            byte[] body = "{\"error\":\"unauthorized_client\"}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(401, body.length);
            x.getResponseBody().write(body);
            x.close();
          });
      issuer.start();
      try {
        String token = "http://127.0.0.1:" + issuer.getAddress().getPort() + "/token";
        String[] publish = {
          "schemas",
          "publish",
          "-D",
          "apicurio.registry.url=http://127.0.0.1:1/apis/registry/v3",
          "-D",
          "apicurio.registry.auth.service.token.endpoint=" + token,
          "-D",
          "apicurio.registry.auth.client.id=statewarden"
        };

        // when the secret is missing, then exit 1 naming the settings
        assertThat(fails(1, publish).err())
            .isEqualTo(
                "statewarden: apicurio.registry.auth.service.token.endpoint is set, so"
                    + " apicurio.registry.auth.client.id and apicurio.registry.auth.client.secret"
                    + " must be too\n");

        // when the issuer refuses the client, then exit 1 naming the endpoint and the client
        List<String> withSecret = new ArrayList<>(List.of(publish));
        withSecret.addAll(List.of("-D", "apicurio.registry.auth.client.secret=wrong-secret"));
        assertThat(fails(1, withSecret.toArray(String[]::new)).err())
            .startsWith("statewarden: the OIDC token endpoint " + token)
            .contains("client 'statewarden'")
            .endsWith(": HTTP 401\n")
            .doesNotContain("wrong-secret");
      } finally {
        issuer.stop(0);
      }
    }
  }

  @Nested
  class Replay {
    @Test
    void shouldRefuseBadArgumentsBeforeConnecting() {
      assertThat(fails(2, "replay").err())
          .contains("Missing required option: '--output-prefix=PREFIX'");
      assertThat(
              fails(
                      2,
                      "replay",
                      "--output-prefix",
                      "r1",
                      "--verify",
                      "--from-timestamp",
                      "2026-01-01T00:00:00Z")
                  .err())
          .contains("--verify compares whole histories");
      assertThat(fails(2, "replay", "--output-prefix", "r1", "--from-timestamp", "monday").err())
          .contains("--from-timestamp");
      assertThat(fails(2, "replay", "--output-prefix", "r1", "--idle-timeout-s", "0").err())
          .contains("'--idle-timeout-s': expected at least 1");
      assertThat(fails(1, "replay", "--output-prefix", "r1", "--config", "missing.props").err())
          .isEqualTo("statewarden: --config missing.props: no such file\n");
      assertThat(
              fails(1, "replay", "--output-prefix", "r1", "-D", "statewarden.http.port=abc").err())
          .contains("statewarden.http.port");
      assertThat(fails(1, "replay", "--output-prefix", "r1").err())
          .startsWith("statewarden: apicurio.registry.url is not set; ")
          .contains("\nstatewarden: bootstrap.servers is not set; ");
    }

    @Test
    void shouldSayInOneLineThatNoBrokerAnsweredAsRunDoes() throws Exception {
      // given a port nothing listens on
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }

      // when
      long began = System.nanoTime();
      Run r =
          fails(
              3,
              "replay",
              "--output-prefix",
              "r1.",
              "-D",
              "bootstrap.servers=127.0.0.1:" + closed,
              "-D",
              "apicurio.registry.url=http://127.0.0.1:1/apis/registry/v3",
              "-D",
              "statewarden.startup.timeout.ms=1000",
              "-D",
              "statewarden.signing.key=" + KEY,
              "-D",
              "state.dir=" + dir.resolve("state"));

      // then the same line as run, within the startup timeout rather than the admin client's
      assertThat(r.err())
          .isEqualTo(
              "statewarden: no Kafka broker answered at 127.0.0.1:"
                  + closed
                  + " (bootstrap.servers) within 1 s: connection refused\n");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - began))
          .isLessThan(java.time.Duration.ofSeconds(15));
    }
  }

  @Nested
  class Session {
    @Test
    void shouldRefuseBadArgumentsAndSayWhenNothingAnswers() throws Exception {
      assertThat(fails(2, "session").err()).contains("Missing required parameter: 'ID'");
      assertThat(fails(2, "session", "s1", "--url", "::bad").err())
          .startsWith(
              "Invalid value for option '--url': '::bad' is not an http:// or https:// URL");
      assertThat(fails(2, "session", "s1", "--token-file", "missing-token").err())
          .isEqualTo("--token-file missing-token: no such file\n");
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }
      String url = "http://127.0.0.1:" + closed;
      assertThat(fails(3, "session", "s1", "--url", url).err())
          .isEqualTo("statewarden: cannot reach " + url + ": connection refused or unreachable\n");
    }

    @Test
    void shouldRefuseBadOperatorCommandsAndSayWhenNothingAnswers() throws Exception {
      assertThat(fails(2, "session", "cancel", "s1").err())
          .contains("Missing required option: '--reason=<reason>'");
      assertThat(fails(2, "session", "move", "s1", "--reason", "r").err())
          .contains("Missing required option: '--to=STATE'");
      assertThat(fails(2, "session", "cancel", "s1", "--reason", "r", "--url", "::bad").err())
          .startsWith("Invalid value for option '--url'");
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort();
      }
      String url = "http://127.0.0.1:" + closed;
      // the command id it chose goes with the message: a retry with it applies once
      assertThat(fails(3, "session", "retry", "s1", "--url", url).err())
          .startsWith(
              "statewarden: cannot reach "
                  + url
                  + ": connection refused or unreachable (command id ")
          .contains(": retry with --command-id ");
    }
  }

  @Nested
  class Local {
    @Test
    void shouldNameTheLocalJarInOneLineAndExitTwoWhateverTheArguments() {
      String expected =
          "statewarden: `local` is not in the server jar; run it from the local jar:"
              + " java -jar local/target/statewarden-local.jar local --demo\n";
      for (String[] args :
          List.of(
              new String[] {"local"},
              new String[] {"local", "--demo"},
              new String[] {"local", "--help"},
              new String[] {"local", "--kafka-port", "abc", "extra"})) {
        Run r = fails(2, args);
        assertThat(r.err()).as("%s", List.of(args)).isEqualTo(expected);
        assertThat(r.out()).as("%s", List.of(args)).isEmpty();
      }
      assertThat(ok("--help").out()).as("not a command of the server jar").doesNotContain("local");
    }
  }
}
