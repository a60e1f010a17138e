package io.statewarden.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatewardenConfigTest {
  @TempDir Path dir;

  @Test
  void shouldDefaultToExactlyOnceAndSpecTopics() throws Exception {
    StatewardenConfig c = StatewardenConfig.load(null, Map.of());
    assertThat(c.kafka())
        .containsEntry("processing.guarantee", "exactly_once_v2")
        .containsEntry("application.id", "statewarden");
    assertThat(c.topics()).isEqualTo(Topics.DEFAULTS);
    assertThat(c.getString(StatewardenConfig.HTTP_HOST)).isEqualTo("127.0.0.1");
  }

  @Test
  void shouldShortenTheRestoreConsumersWaitUnlessTold() throws Exception {
    // decision 29: a standby taken over at failover starts once its last, empty fetch returns
    assertThat(StatewardenConfig.load(null, Map.of()).kafka())
        .containsEntry("restore.consumer.fetch.max.wait.ms", 100);
    assertThat(
            StatewardenConfig.load(
                    null, Map.of("STATEWARDEN_RESTORE_CONSUMER_FETCH_MAX_WAIT_MS", "500"))
                .kafka())
        .containsEntry("restore.consumer.fetch.max.wait.ms", "500");
  }

  @Test
  void shouldProbeForCaughtUpWarmUpsEveryMinuteUnlessTold() throws Exception {
    // a joining instance takes its share of the tasks a minute after it caught up, not ten
    assertThat(StatewardenConfig.load(null, Map.of()).kafka())
        .containsEntry("probing.rebalance.interval.ms", 60_000L);
    assertThat(
            StatewardenConfig.load(
                    null, Map.of("STATEWARDEN_PROBING_REBALANCE_INTERVAL_MS", "600000"))
                .kafka())
        .containsEntry("probing.rebalance.interval.ms", "600000");
  }

  @Test
  void shouldLayerFileEnvironmentAndOverrides() throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(
        file,
        """
        bootstrap.servers=file:9092
        statewarden.topic.audit=file.audit
        security.protocol=SASL_SSL
        statewarden.http.port=9000
        """);
    Map<String, String> env =
        Map.of(
            "STATEWARDEN_BOOTSTRAP_SERVERS", "env:9092",
            "STATEWARDEN_HTTP_PORT", "9100",
            "STATEWARDEN_APICURIO_REGISTRY_AUTO__REGISTER", "false",
            "PATH", "/usr/bin");

    StatewardenConfig c =
        StatewardenConfig.load(
            file, env, Map.of("statewarden.http.port", "9200"), List.of(Path.of("protos")));

    assertThat(c.kafka())
        .containsEntry("bootstrap.servers", "env:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("apicurio.registry.auto-register", "false")
        .doesNotContainKey("statewarden.topic.audit");
    assertThat(c.topics().audit()).isEqualTo("file.audit");
    assertThat(c.getInt(StatewardenConfig.HTTP_PORT)).isEqualTo(9200);
    assertThat(c.getList(StatewardenConfig.PROTOCOLS_DIRS)).containsExactly("protos");
  }

  @Test
  void shouldRefuseBadValuesNamingTheKey() {
    assertThatThrownBy(
            () -> new StatewardenConfig(Map.of(StatewardenConfig.PUNCTUATION_MAX_FIRES, "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.PUNCTUATION_MAX_FIRES);
    assertThatThrownBy(() -> new StatewardenConfig(Map.of(StatewardenConfig.HTTP_PORT, "http")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.HTTP_PORT);
  }

  @Test
  void shouldRefuseAnUnknownStatewardenKeyNamingTheNearest() {
    assertThatThrownBy(() -> new StatewardenConfig(Map.of("statewarden.topic.audti", "a")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown setting statewarden.topic.audti; did you mean statewarden.topic.audit?");
    assertThatThrownBy(() -> new StatewardenConfig(Map.of("statewarden.colour", "blue")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "unknown setting statewarden.colour; the statewarden.* settings are listed in"
                + " docs/operations.md");
  }

  @Test
  void shouldRefuseAMisspeltVariableNamingTheNearest() {
    assertThatThrownBy(() -> StatewardenConfig.load(null, Map.of("STATEWARDEN_HTTP_TOKN", "t")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "environment variable STATEWARDEN_HTTP_TOKN stands for no known setting; did you mean"
                + " STATEWARDEN_HTTP_TOKEN (statewarden.http.token)?");
    assertThatThrownBy(
            () -> StatewardenConfig.load(null, Map.of("STATEWARDEN_BOOTSTRAP_SERVER", "k:9092")))
        .hasMessage(
            "environment variable STATEWARDEN_BOOTSTRAP_SERVER stands for no known setting; did"
                + " you mean STATEWARDEN_BOOTSTRAP_SERVERS (bootstrap.servers)?");
    assertThatThrownBy(
            () ->
                StatewardenConfig.load(
                    null, Map.of("STATEWARDEN_APICURIO_REGISTRY_AUTO_REGISTER", "false")))
        .hasMessageContaining(
            "did you mean STATEWARDEN_APICURIO_REGISTRY_AUTO__REGISTER"
                + " (apicurio.registry.auto-register)?");
  }

  @Test
  void shouldLeaveTheVariablesOfOtherCommandsAlone() throws Exception {
    // an operator exports the token `session cancel|retry|move` reads, then starts `run` in the
    // same shell: that is not a misspelt setting
    for (String variable : StatewardenConfig.OTHER_VARIABLES) {
      assertThat(StatewardenConfig.load(null, Map.of(variable, "x"))).as(variable).isNotNull();
    }
    assertThat(StatewardenConfig.OTHER_VARIABLES).contains("STATEWARDEN_OPERATOR_TOKEN");
  }

  @Test
  void shouldPassKnownKafkaStreamsClientAndSerdeSettingsThrough() throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(file, "some.plugin.setting=1\n");
    Map<String, String> env =
        Map.of(
            "STATEWARDEN_SASL_JAAS_CONFIG", "jaas",
            "STATEWARDEN_PRODUCER_MAX_REQUEST_SIZE", "2000000",
            "STATEWARDEN_TOPIC_MIN_INSYNC_REPLICAS", "2",
            "STATEWARDEN_NUM_STREAM_THREADS", "2",
            "STATEWARDEN_APICURIO_REGISTRY_AUTH_USERNAME", "u",
            "STATEWARDEN_LOG_LEVEL", "DEBUG",
            "STATEWARDEN_REGISTRY_HOME", "/opt/registry",
            "STATEWARDEN_http_port", "9300");

    StatewardenConfig c = StatewardenConfig.load(file, env);

    assertThat(c.kafka())
        .containsEntry("sasl.jaas.config", "jaas")
        .containsEntry("producer.max.request.size", "2000000")
        .containsEntry("topic.min.insync.replicas", "2")
        .containsEntry("num.stream.threads", "2")
        .containsEntry("apicurio.registry.auth.username", "u")
        .containsEntry("some.plugin.setting", "1")
        .doesNotContainKeys("log.level", "registry.home");
    assertThat(c.getInt(StatewardenConfig.HTTP_PORT)).isEqualTo(9300);
  }

  @Test
  void shouldBuildEngineLimitsFromSettings() {
    var c =
        new StatewardenConfig(
            Map.of(
                StatewardenConfig.HISTORY_LIMIT,
                "5",
                StatewardenConfig.RETENTION_MS,
                "1000",
                StatewardenConfig.SESSION_MAX_BYTES,
                "4096"));
    assertThat(c.engine().historyLimit()).isEqualTo(5);
    assertThat(c.engine().retention().toMillis()).isEqualTo(1000);
    assertThat(c.engine().maxSessionBytes()).isEqualTo(4096);
    assertThat(new StatewardenConfig(Map.of()).engine().maxSessionBytes()).isEqualTo(512 * 1024);
    assertThatThrownBy(
            () -> new StatewardenConfig(Map.of(StatewardenConfig.SESSION_MAX_BYTES, "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.SESSION_MAX_BYTES);
  }

  @Test
  void shouldReadTheOperatorTokenAndRefuseOneEqualToTheReadToken() throws Exception {
    assertThat(StatewardenConfig.load(null, Map.of()).operatorToken()).isNull();
    Path file = dir.resolve("operator");
    Files.writeString(file, "op-s3cret\n");
    StatewardenConfig both =
        StatewardenConfig.load(
            null,
            Map.of(
                "STATEWARDEN_HTTP_TOKEN",
                "read-s3cret",
                "STATEWARDEN_HTTP_OPERATOR_TOKEN_FILE",
                file.toString()));
    assertThat(both.operatorToken()).isEqualTo("op-s3cret");
    assertThat(both.values().toString()).doesNotContain("op-s3cret");

    StatewardenConfig same =
        StatewardenConfig.load(
            null,
            Map.of(
                "STATEWARDEN_HTTP_TOKEN", "op-s3cret",
                "STATEWARDEN_HTTP_OPERATOR_TOKEN", "op-s3cret"));
    assertThatThrownBy(same::operatorToken)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.HTTP_OPERATOR_TOKEN)
        .hasMessageContaining("must differ")
        .hasMessageNotContaining("op-s3cret");
  }

  @Test
  void shouldReadPersonalOperatorTokensAndRefuseBadLinesWithoutShowingAToken() throws Exception {
    // given a tokens file set through the environment
    Path file = dir.resolve("operators");
    Files.writeString(
        file, "# operators\n\nalice: alice-token-0123456789\nbob:bob-token-0123456789ab\n");
    Map<String, String> env =
        Map.of(
            "STATEWARDEN_HTTP_TOKEN",
            "read-token-0123456789",
            "STATEWARDEN_HTTP_OPERATOR_TOKENS_FILE",
            file.toString());

    // then
    assertThat(StatewardenConfig.load(null, env).operatorTokens())
        .containsExactly(
            Map.entry("alice", "alice-token-0123456789"),
            Map.entry("bob", "bob-token-0123456789ab"));
    assertThat(StatewardenConfig.load(null, Map.of()).operatorTokens()).isEmpty();

    // and each bad file is refused naming the setting and line, never the token
    for (String[] bad :
        new String[][] {
          {"alice alice-token-0123456789\n", "line 1: expected 'name:token'"},
          {"al ice:alice-token-0123456789\n", "line 1: expected 'name:token'"},
          {"alice:short-token\n", "at least 16 characters"},
          {"alice:alice-token-0123456789\nalice:other-token-0123456789\n", "listed twice"},
          {"alice:alice-token-0123456789\nbob:alice-token-0123456789\n", "another operator's"},
          {"carol:read-token-0123456789\n", "line 1: the token of carol is also the read token"},
          {"# nobody\n", "no token"}
        }) {
      Files.writeString(file, bad[0]);
      assertThatThrownBy(() -> StatewardenConfig.load(null, env).operatorTokens())
          .as(bad[0])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(StatewardenConfig.HTTP_OPERATOR_TOKENS_FILE)
          .hasMessageContaining(bad[1])
          .hasMessageNotContaining("token-0123456789")
          .hasMessageNotContaining("short-token");
    }
  }

  @Test
  void shouldReadTheHttpTokenFromSettingEnvironmentOrFileAndNeverShowIt() throws Exception {
    assertThat(StatewardenConfig.load(null, Map.of()).httpToken()).isNull();

    StatewardenConfig env =
        StatewardenConfig.load(null, Map.of("STATEWARDEN_HTTP_TOKEN", "s3cret-env"));
    assertThat(env.httpToken()).isEqualTo("s3cret-env");
    assertThat(env.values().toString()).doesNotContain("s3cret-env");

    Path file = dir.resolve("token");
    Files.writeString(file, "  s3cret-file\n");
    StatewardenConfig fromFile =
        StatewardenConfig.load(null, Map.of("STATEWARDEN_HTTP_TOKEN_FILE", file.toString()));
    assertThat(fromFile.getString(StatewardenConfig.HTTP_TOKEN_FILE)).isEqualTo(file.toString());
    assertThat(fromFile.httpToken()).isEqualTo("s3cret-file");

    Path empty = dir.resolve("empty");
    Files.writeString(empty, "\n");
    assertThatThrownBy(
            () ->
                StatewardenConfig.load(
                        null, Map.of("STATEWARDEN_HTTP_TOKEN_FILE", empty.toString()))
                    .httpToken())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.HTTP_TOKEN_FILE)
        .hasMessageContaining("empty");
    assertThatThrownBy(
            () ->
                StatewardenConfig.load(
                        null, Map.of("STATEWARDEN_HTTP_TOKEN_FILE", dir.resolve("nope").toString()))
                    .httpToken())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no such token file")
        .hasMessageNotContaining("java.nio");
  }

  @Test
  void shouldRefuseAnHttpApiOpenBeyondLoopbackWithoutATokenUnlessAllowed() throws Exception {
    // loopback needs nothing
    for (String host : List.of("127.0.0.1", "localhost", "::1", "127.0.0.2")) {
      StatewardenConfig.load(null, Map.of("STATEWARDEN_HTTP_HOST", host)).checkHttpExposure();
    }
    // beyond loopback: refused, in one line naming what fixes it
    assertThatThrownBy(
            () ->
                StatewardenConfig.load(null, Map.of("STATEWARDEN_HTTP_HOST", "0.0.0.0"))
                    .checkHttpExposure())
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "the HTTP API would serve sessions and metrics on 0.0.0.0 (statewarden.http.host) to"
                + " anyone who can connect: set statewarden.http.token.file or"
                + " statewarden.http.token, bind 127.0.0.1, or set"
                + " statewarden.http.allow-anonymous=true to serve it without a token");
    // unless a token is set (from the setting or a file) or anonymous access is asked for
    for (Map<String, String> env :
        List.of(
            Map.of("STATEWARDEN_HTTP_TOKEN", "t"),
            Map.of("STATEWARDEN_HTTP_TOKEN_FILE", "/run/secrets/token"),
            Map.of("STATEWARDEN_HTTP_ALLOW__ANONYMOUS", "true"))) {
      Map<String, String> all = new java.util.HashMap<>(env);
      all.put("STATEWARDEN_HTTP_HOST", "0.0.0.0");
      StatewardenConfig.load(null, all).checkHttpExposure();
    }
  }

  @Test
  void shouldReadTheSigningKeyFirstThenEarlierKeysFromSettingAndFile() throws Exception {
    String current = "current-key-0123456789abcdef0123456789";
    String a = "earlier-a-0123456789abcdef0123456789";
    String b = "earlier-b-0123456789abcdef0123456789";
    String c = "earlier-c-0123456789abcdef0123456789";
    Path keyFile = Files.writeString(dir.resolve("current"), "\n" + current + "\n");
    Path earlier = Files.writeString(dir.resolve("previous"), b + "\n\n  " + c + "\n");

    StatewardenConfig cfg =
        StatewardenConfig.load(
            null,
            Map.of(
                "STATEWARDEN_SIGNING_KEY_FILE", keyFile.toString(),
                "STATEWARDEN_SIGNING_PREVIOUS_KEYS", a,
                "STATEWARDEN_SIGNING_PREVIOUS_KEYS_FILE", earlier.toString()));

    assertThat(cfg.signingKeys()).containsExactly(current, a, b, c);
    assertThat(cfg.values().toString()).doesNotContain(a).doesNotContain(current);
    assertThat(cfg.missingClusterSettings()).noneMatch(l -> l.contains("signing"));
    assertThat(StatewardenConfig.load(null, Map.of()).missingClusterSettings())
        .anyMatch(l -> l.startsWith("statewarden.signing.key is not set"));
  }
}
