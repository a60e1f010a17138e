package io.statewarden.config;

import io.statewarden.engine.EngineConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Every {@code statewarden.*} key, declared once with type, default, validator and doc. All other
 * keys pass through to Kafka Streams (and its clients) and to the Apicurio serdes unchanged, so
 * TLS, SASL and registry auth are plain settings.
 *
 * <p>Sources, later wins: built-in defaults, a properties file, environment variables. An
 * environment variable {@code STATEWARDEN_A_B} sets {@code statewarden.a.b} when that is a declared
 * key, else {@code a.b}; {@code __} stands for {@code -} ({@code STATEWARDEN_HTTP_ALLOW__ANONYMOUS}
 * sets {@code statewarden.http.allow-anonymous}).
 *
 * <p>Names are checked on start: an undeclared {@code statewarden.*} key, from any source, and a
 * {@code STATEWARDEN_*} variable that stands for no known setting (see {@link KnownSettings}) are
 * refused, naming the nearest known one. Other keys in the file or {@code -D} pass through
 * unchecked (Kafka logs the ones it does not use). Variables that are not settings: {@link
 * #OTHER_VARIABLES} and those starting {@value #LOG_VARIABLES} (the logging configuration's).
 */
public final class StatewardenConfig extends AbstractConfig {
  public static final String PREFIX = "statewarden.";

  /** The prefix of the environment variables that stand for settings. */
  public static final String ENV_PREFIX = "STATEWARDEN_";

  /** {@code STATEWARDEN_*} variables that are read elsewhere and are no setting. */
  public static final Set<String> OTHER_VARIABLES =
      Set.of(
          "STATEWARDEN_REGISTRY_HOME", // local: where the embedded registry is installed
          "STATEWARDEN_OPERATOR_TOKEN", // session cancel|retry|move: the operator's token
          "STATEWARDEN_SINK_PASSWORD", // connectors launcher
          "STATEWARDEN_OUTBOX_PASSWORD"); // connectors launcher

  /** Variables with this prefix belong to the logging configuration (logback.xml). */
  public static final String LOG_VARIABLES = "STATEWARDEN_LOG_";

  public static final String TOPIC_EVENTS = "statewarden.topic.events";
  public static final String TOPIC_EVENTS_JSON = "statewarden.topic.events.json";
  public static final String TOPIC_TRANSITIONS = "statewarden.topic.transitions";
  public static final String TOPIC_BACKOUTS = "statewarden.topic.backouts";
  public static final String TOPIC_AUDIT = "statewarden.topic.audit";
  public static final String TOPIC_DLQ = "statewarden.topic.dlq";
  public static final String PROTOCOLS_DIRS = "statewarden.protocols.dirs";
  public static final String PUNCTUATION_INTERVAL_MS = "statewarden.punctuation.interval.ms";
  public static final String PUNCTUATION_MAX_FIRES = "statewarden.punctuation.max.fires";
  public static final String PUNCTUATION_BATCH = "statewarden.punctuation.batch";
  public static final String AUDIT_ACCEPTED = "statewarden.audit.accepted";
  public static final String HISTORY_LIMIT = "statewarden.history.limit";
  public static final String EVENT_ID_MEMORY = "statewarden.event.id.memory";
  public static final String RETENTION_MS = "statewarden.retention.ms";
  public static final String MAX_ID_LENGTH = "statewarden.max.id.length";
  public static final String MAX_PAYLOAD_ENTRIES = "statewarden.max.payload.entries";
  public static final String MAX_STRING_LENGTH = "statewarden.max.string.length";
  public static final String MAX_RECORD_BYTES = "statewarden.max.record.bytes";
  public static final String SESSION_MAX_BYTES = "statewarden.session.max.bytes";
  public static final String HTTP_HOST = "statewarden.http.host";
  public static final String HTTP_PORT = "statewarden.http.port";
  public static final String HTTP_ADVERTISED_HOST = "statewarden.http.advertised.host";
  public static final String INSTANCE_ID = "statewarden.instance.id";
  public static final String HTTP_TOKEN = "statewarden.http.token";
  public static final String HTTP_TOKEN_FILE = "statewarden.http.token.file";
  public static final String HTTP_OPERATOR_TOKEN = "statewarden.http.operator.token";
  public static final String HTTP_OPERATOR_TOKEN_FILE = "statewarden.http.operator.token.file";
  public static final String HTTP_OPERATOR_TOKENS_FILE = "statewarden.http.operator.tokens.file";

  /** An operator's name in {@link #HTTP_OPERATOR_TOKENS_FILE}: what the audit records. */
  public static final java.util.regex.Pattern OPERATOR_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9._@-]{1,64}");

  /** The least length of a personal operator token. */
  public static final int MIN_OPERATOR_TOKEN_LENGTH = 16;

  public static final String HTTP_ALLOW_ANONYMOUS = "statewarden.http.allow-anonymous";
  public static final String HTTP_READ_TIMEOUT_MS = "statewarden.http.read.timeout.ms";
  public static final String HTTP_MAX_CONNECTIONS = "statewarden.http.max.connections";
  public static final String STARTUP_TIMEOUT_MS = "statewarden.startup.timeout.ms";
  public static final String SIGNING_KEY = "statewarden.signing.key";
  public static final String SIGNING_KEY_FILE = "statewarden.signing.key.file";
  public static final String SIGNING_PREVIOUS_KEYS = "statewarden.signing.previous.keys";
  public static final String SIGNING_PREVIOUS_KEYS_FILE = "statewarden.signing.previous.keys.file";

  /** The least length of a signing key (RecordMac refuses shorter ones too). */
  public static final int MIN_SIGNING_KEY_LENGTH = 32;

  public static final String SCHEMAS_PUBLISH = "statewarden.schemas.publish";

  /** The settings {@code run} cannot start without, and what a value looks like. */
  public static final Map<String, String> REQUIRED =
      Map.of(
          "bootstrap.servers", "HOST:PORT[,HOST:PORT...]",
          "apicurio.registry.url", "http://HOST:PORT/apis/registry/v3");

  public static final ConfigDef DEF =
      new ConfigDef()
          .define(
              TOPIC_EVENTS,
              Type.STRING,
              "statewarden.events",
              Importance.HIGH,
              "Avro input topic (ProtocolEvent).")
          .define(
              TOPIC_EVENTS_JSON,
              Type.STRING,
              "statewarden.events.json",
              Importance.HIGH,
              "JSON input topic (ProtocolEvent fields as JSON).")
          .define(
              TOPIC_TRANSITIONS,
              Type.STRING,
              "statewarden.transitions",
              Importance.HIGH,
              "Transition output topic.")
          .define(
              TOPIC_BACKOUTS,
              Type.STRING,
              "statewarden.backouts",
              Importance.HIGH,
              "Backout output topic.")
          .define(
              TOPIC_AUDIT, Type.STRING, "statewarden.audit", Importance.HIGH, "Audit output topic.")
          .define(
              TOPIC_DLQ,
              Type.STRING,
              "statewarden.dlq",
              Importance.HIGH,
              "Dead-letter topic: undecodable input, raw bytes with error headers.")
          .define(
              PROTOCOLS_DIRS,
              Type.LIST,
              List.of(),
              Importance.HIGH,
              "Directories (or files) of protocol definitions loaded besides the built-in ones.")
          .define(
              PUNCTUATION_INTERVAL_MS,
              Type.LONG,
              250L,
              Range.atLeast(10),
              Importance.MEDIUM,
              "How often (wall clock) each task looks for due deadlines.")
          .define(
              PUNCTUATION_MAX_FIRES,
              Type.INT,
              io.statewarden.metrics.Metrics.DEFAULT_STORM_FIRES,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Most due sessions one punctuation fires before it yields to record processing.")
          .define(
              PUNCTUATION_BATCH,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              "Log the deadlines one punctuation finds due as one timer record of the task's"
                  + " partition (decision 0023); false: one timer record per deadline, the format"
                  + " versions before 0023 read (for a rolling upgrade from one).")
          .define(
              AUDIT_ACCEPTED,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              "Publish the audit record of an event accepted without a failure. false: its"
                  + " transition (same session, seq, event id and type) is its only record;"
                  + " rejections, duplicates, deadlines, guard errors, operator commands and"
                  + " migrations are still audited (docs/operations.md). Replay with the same value.")
          .define(
              HISTORY_LIMIT,
              Type.INT,
              EngineConfig.DEFAULTS.historyLimit(),
              Range.atLeast(1),
              Importance.LOW,
              "Moves kept in a session's history: each state entered, with its trigger, event and time.")
          .define(
              EVENT_ID_MEMORY,
              Type.INT,
              EngineConfig.DEFAULTS.eventIdMemory(),
              Range.atLeast(1),
              Importance.LOW,
              "Accepted event ids a session remembers for idempotency.")
          .define(
              RETENTION_MS,
              Type.LONG,
              EngineConfig.DEFAULTS.retention().toMillis(),
              Range.atLeast(0),
              Importance.MEDIUM,
              "How long a final session is kept (late events get SESSION_CLOSED) before it is purged.")
          .define(
              MAX_ID_LENGTH,
              Type.INT,
              EngineConfig.DEFAULTS.maxIdLength(),
              Range.atLeast(1),
              Importance.LOW,
              "Longest id, type or payload key accepted.")
          .define(
              MAX_PAYLOAD_ENTRIES,
              Type.INT,
              EngineConfig.DEFAULTS.maxPayloadEntries(),
              Range.atLeast(0),
              Importance.LOW,
              "Most payload entries accepted.")
          .define(
              MAX_STRING_LENGTH,
              Type.INT,
              EngineConfig.DEFAULTS.maxStringLength(),
              Range.atLeast(0),
              Importance.LOW,
              "Longest payload string accepted.")
          .define(
              MAX_RECORD_BYTES,
              Type.INT,
              1 << 20,
              Range.atLeast(64),
              Importance.LOW,
              "Largest input record value accepted; larger ones are rejected LIMIT_EXCEEDED unread.")
          .define(
              SESSION_MAX_BYTES,
              Type.INT,
              EngineConfig.DEFAULTS.maxSessionBytes(),
              Range.atLeast(1),
              Importance.MEDIUM,
              "Largest encoded session a move that enlarges the session's data may leave; an event"
                  + " whose move would pass it is rejected LIMIT_EXCEEDED. Keep it well below the"
                  + " producer's max.request.size and the topics' max.message.bytes (1 MiB by"
                  + " default): the session's changelog record and the transitions carrying its"
                  + " data must fit.")
          .define(
              HTTP_HOST,
              Type.STRING,
              "127.0.0.1",
              Importance.MEDIUM,
              "Bind address of the HTTP API (health, metrics, sessions).")
          .define(
              HTTP_PORT,
              Type.INT,
              8070,
              Range.between(0, 65535),
              Importance.MEDIUM,
              "Port of the HTTP API; 0 picks a free one.")
          .define(
              HTTP_ADVERTISED_HOST,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Host other instances use to reach this one's HTTP API (application.server);"
                  + " default: the bind address, or the host name when bound to all interfaces.")
          .define(
              INSTANCE_ID,
              Type.STRING,
              "",
              Importance.LOW,
              "Name of this instance in audit records; default: host name.")
          .define(
              HTTP_TOKEN,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              "Bearer token the HTTP API requires on every endpoint except /health/live and"
                  + " /health/ready (and sends when forwarding to other instances); unset: no"
                  + " token required. Never logged.")
          .define(
              HTTP_TOKEN_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "File holding the HTTP API bearer token (surrounding whitespace trimmed), e.g. a"
                  + " mounted Kubernetes Secret; used when "
                  + HTTP_TOKEN
                  + " is unset.")
          .define(
              HTTP_OPERATOR_TOKEN,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              "Bearer token of the operator role: POST /sessions/{id}/cancel|retry|move (and every"
                  + " read). Separate from "
                  + HTTP_TOKEN
                  + ", which only reads (a read token gets 403 on a command); unset: operator"
                  + " commands are disabled. Never logged.")
          .define(
              HTTP_OPERATOR_TOKEN_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "File holding the operator token (surrounding whitespace trimmed); used when "
                  + HTTP_OPERATOR_TOKEN
                  + " is unset.")
          .define(
              HTTP_OPERATOR_TOKENS_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "File of personal operator tokens, one 'name:token' a line ('#' comments and blank"
                  + " lines skipped; names [A-Za-z0-9._@-], tokens at least "
                  + MIN_OPERATOR_TOKEN_LENGTH
                  + " characters, both unique). A command sent with one is audited under that"
                  + " name, whatever the request says. Read on start (restart to change it). May"
                  + " be set with or without "
                  + HTTP_OPERATOR_TOKEN
                  + " (the shared token, whose holder names the operator). Never logged.")
          .define(
              HTTP_ALLOW_ANONYMOUS,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "Serve the HTTP API without a token on an address beyond loopback; without it, such"
                  + " a start is refused (exit status 1).")
          .define(
              HTTP_READ_TIMEOUT_MS,
              Type.LONG,
              10_000L,
              Range.atLeast(100),
              Importance.LOW,
              "Longest time an HTTP client may take to send a whole request, counted from"
                  + " connecting or from the previous answer on the same connection; then the"
                  + " connection is closed.")
          .define(
              HTTP_MAX_CONNECTIONS,
              Type.INT,
              1024,
              Range.atLeast(1),
              Importance.LOW,
              "Most HTTP connections open at once; a connection past it is closed at once.")
          .define(
              STARTUP_TIMEOUT_MS,
              Type.LONG,
              30_000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              "How long the start waits for Kafka and the schema registry to answer before it gives"
                  + " up (exit status 3).")
          .define(
              SIGNING_KEY,
              Type.PASSWORD,
              null,
              Importance.HIGH,
              "Secret (at least 32 characters) with which statewarden signs the timer records and"
                  + " normalized JSON events it writes into the events topic, and checks them when"
                  + " it reads them back; the same on every instance and for replay. Required by"
                  + " run and replay. Never logged.")
          .define(
              SIGNING_KEY_FILE,
              Type.STRING,
              "",
              Importance.HIGH,
              "File holding the signing key (surrounding whitespace trimmed), e.g. a mounted"
                  + " Kubernetes Secret; used when "
                  + SIGNING_KEY
                  + " is unset.")
          .define(
              SIGNING_PREVIOUS_KEYS,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              "Earlier signing keys, comma-separated: records they signed still verify (a key"
                  + " rotation, a replay of an old log); never used to sign. Never logged.")
          .define(
              SIGNING_PREVIOUS_KEYS_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "File holding earlier signing keys, one per line (blank lines ignored); used"
                  + " besides "
                  + SIGNING_PREVIOUS_KEYS
                  + ".")
          .define(
              SCHEMAS_PUBLISH,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              "Publish the record schemas (ProtocolEvent, Transition, Backout, AuditRecord) in the"
                  + " registry at start, with compatibility BACKWARD; false for a registry where"
                  + " this application may not write (publish with 'statewarden schemas publish').");

  private final Map<String, Object> passThrough;

  private final Map<String, Object> all;

  /**
   * @throws ConfigException naming an undeclared {@code statewarden.*} key and the nearest declared
   *     one, or a key with a bad value
   */
  public StatewardenConfig(Map<String, ?> props) {
    super(DEF, own(props), false);
    all = new HashMap<>(props);
    passThrough = new HashMap<>();
    props.forEach(
        (k, v) -> {
          if (!k.startsWith(PREFIX)) passThrough.put(k, v);
        });
  }

  private static Map<String, Object> own(Map<String, ?> props) {
    Map<String, Object> m = new HashMap<>();
    props.forEach(
        (k, v) -> {
          if (k.startsWith(PREFIX)) m.put(k, v);
        });
    new TreeSet<>(m.keySet())
        .stream()
            .filter(k -> !DEF.names().contains(k))
            .findFirst()
            .ifPresent(
                k -> {
                  String near = KnownSettings.nearest(k, DEF.names());
                  throw new ConfigException(
                      "unknown setting "
                          + k
                          + (near == null
                              ? "; the statewarden.* settings are listed in docs/operations.md"
                              : "; did you mean " + near + "?"));
                });
    return m;
  }

  /** Defaults, then the file (if any), then the environment, then explicit overrides. */
  public static StatewardenConfig load(
      Path file, Map<String, String> env, Map<String, String> overrides, List<Path> protocolDirs)
      throws IOException {
    Map<String, Object> props = new HashMap<>(load(file, env).originals());
    props.putAll(overrides);
    if (!protocolDirs.isEmpty()) {
      props.put(
          PROTOCOLS_DIRS, String.join(",", protocolDirs.stream().map(Path::toString).toList()));
    }
    return new StatewardenConfig(props);
  }

  /** Defaults, then the file (if any), then the environment. */
  public static StatewardenConfig load(Path file, Map<String, String> env) throws IOException {
    Map<String, Object> props = new HashMap<>(streamsDefaults());
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      p.forEach((k, v) -> props.put((String) k, v));
    }
    checkEnvironment(env);
    props.putAll(fromEnvironment(env));
    return new StatewardenConfig(props);
  }

  /**
   * Refuses a {@code STATEWARDEN_*} variable that stands for no known setting, naming the nearest
   * variable that does: a misspelt variable would otherwise be passed to Kafka, which ignores it.
   *
   * @throws ConfigException for the first such variable (in name order)
   */
  public static void checkEnvironment(Map<String, String> env) {
    Map<String, String> byVariable = new TreeMap<>();
    DEF.names().forEach(k -> byVariable.put(variable(k.substring(PREFIX.length())), k));
    KnownSettings.passThrough().forEach(k -> byVariable.putIfAbsent(variable(k), k));
    new TreeSet<>(env.keySet())
        .stream()
            .filter(n -> n.startsWith(ENV_PREFIX) && n.length() > ENV_PREFIX.length())
            .filter(n -> !OTHER_VARIABLES.contains(n) && !n.startsWith(LOG_VARIABLES))
            // fromEnvironment lower-cases the name, so STATEWARDEN_http_port works as it did
            .filter(n -> !byVariable.containsKey(n.toUpperCase(Locale.ROOT)))
            .findFirst()
            .ifPresent(
                n -> {
                  String near = KnownSettings.nearest(n, byVariable.keySet());
                  throw new ConfigException(
                      "environment variable "
                          + n
                          + " stands for no known setting"
                          + (near == null
                              ? " (see docs/operations.md)"
                              : "; did you mean " + near + " (" + byVariable.get(near) + ")?"));
                });
  }

  /** The variable that stands for {@code key}, a statewarden key without its prefix or another. */
  private static String variable(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace("-", "__").replace('.', '_');
  }

  /** Kafka Streams defaults statewarden ships with (all can be overridden). */
  public static Map<String, Object> streamsDefaults() {
    Map<String, Object> m = new HashMap<>();
    m.put(StreamsConfig.APPLICATION_ID_CONFIG, "statewarden");
    m.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    m.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // the two input topics are not merged by time (a session's producer uses one of them), so a
    // task need not wait on an empty one; with the default (0) Kafka Streams formats a log line
    // for the empty partition on every readiness check: ~11% of the stream thread's CPU
    // (docs/benchmarks.md)
    m.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    // a task taken over from a standby (failover) runs once its changelogs are read to their end;
    // with nothing left to read, the restore consumer's fetch waits fetch.max.wait.ms (500 ms by
    // default) at the broker before that shows: a median 0.79 s of a failover, 0.21 s with 100
    // (docs/benchmarks.md, case 5; decision 29). It costs an idle standby an empty fetch per 100 ms
    m.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 100);
    // an instance that joins with stores behind (a new or restarted one) gets only standbys or
    // warm-up replicas of a stateful task at first; the tasks move to it at the next probing
    // rebalance after its copies caught up. Kafka's 10 minutes leaves a group unbalanced that
    // long, and a crash of the instance running every task then moves them all to one cold
    // survivor (docs/benchmarks.md, case 5; decision 31). 60 s is the least Kafka allows; probing
    // rebalances are only made while the assignor has a move pending
    m.put(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG, 60_000L);
    // Kafka 4.x warns at every start unless this is set, and makes it the default in 5.0; the
    // topology has no global stores, so it changes nothing else. The stream thread's partition
    // assignor reads a StreamsConfig of its own from the main consumer's settings, which carry only
    // consumer keys and main.consumer.* ones: it needs the setting there too, or it warns as well
    m.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    m.put(
        StreamsConfig.mainConsumerPrefix(
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
        true);
    return m;
  }

  /**
   * The settings {@code STATEWARDEN_*} environment variables stand for (see the class comment);
   * other variables are ignored. Public so deployment manifests can be checked against it.
   */
  public static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> m = new HashMap<>();
    env.forEach(
        (name, value) -> {
          if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) return;
          if (OTHER_VARIABLES.contains(name) || name.startsWith(LOG_VARIABLES)) return;
          String key =
              name.substring(ENV_PREFIX.length())
                  .toLowerCase(Locale.ROOT)
                  .replace("__", "\u0000")
                  .replace('_', '.')
                  .replace('\u0000', '-');
          m.put(DEF.names().contains(PREFIX + key) ? PREFIX + key : key, value);
        });
    return m;
  }

  /** Every setting as given, statewarden's and Kafka's. */
  @Override
  public Map<String, Object> originals() {
    return new HashMap<>(all);
  }

  /** Every non-statewarden setting: Kafka Streams, clients, serdes. */
  public Map<String, Object> kafka() {
    return Map.copyOf(passThrough);
  }

  public EngineConfig engine() {
    return new EngineConfig(
        getInt(HISTORY_LIMIT),
        getInt(EVENT_ID_MEMORY),
        Duration.ofMillis(getLong(RETENTION_MS)),
        getInt(MAX_ID_LENGTH),
        getInt(MAX_PAYLOAD_ENTRIES),
        getInt(MAX_STRING_LENGTH),
        getInt(SESSION_MAX_BYTES));
  }

  public Topics topics() {
    return new Topics(
        getString(TOPIC_EVENTS),
        getString(TOPIC_EVENTS_JSON),
        getString(TOPIC_TRANSITIONS),
        getString(TOPIC_BACKOUTS),
        getString(TOPIC_AUDIT),
        getString(TOPIC_DLQ));
  }

  public String instanceId() {
    String id = getString(INSTANCE_ID);
    if (!id.isEmpty()) return id;
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Where other instances reach this one's HTTP API. */
  public String advertisedHost() {
    String h = getString(HTTP_ADVERTISED_HOST);
    if (!h.isEmpty()) return h;
    String bind = getString(HTTP_HOST);
    if (!bind.equals("0.0.0.0") && !bind.equals("::")) return bind;
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /**
   * The HTTP API bearer token, from {@link #HTTP_TOKEN} or else the file {@link #HTTP_TOKEN_FILE};
   * null when neither is set (no token required).
   *
   * @throws ConfigException when the file cannot be read or holds no token
   */
  public String httpToken() {
    Password p = getPassword(HTTP_TOKEN);
    if (p != null && !p.value().isEmpty()) return p.value();
    String file = getString(HTTP_TOKEN_FILE);
    if (file.isEmpty()) return null;
    String token = readSecret(HTTP_TOKEN_FILE, file, "token");
    if (token.isEmpty()) {
      throw new ConfigException(HTTP_TOKEN_FILE, file, "the token file is empty");
    }
    return token;
  }

  /**
   * The operator token, from {@link #HTTP_OPERATOR_TOKEN} or else the file {@link
   * #HTTP_OPERATOR_TOKEN_FILE}; null when neither is set (operator commands disabled).
   *
   * @throws ConfigException when the file cannot be read or holds no token, or the operator token
   *     equals the read token (the roles would be one)
   */
  public String operatorToken() {
    Password p = getPassword(HTTP_OPERATOR_TOKEN);
    String token = p == null || p.value().isEmpty() ? null : p.value();
    String file = getString(HTTP_OPERATOR_TOKEN_FILE);
    if (token == null && !file.isEmpty()) {
      token = readSecret(HTTP_OPERATOR_TOKEN_FILE, file, "token");
      if (token.isEmpty()) {
        throw new ConfigException(HTTP_OPERATOR_TOKEN_FILE, file, "the token file is empty");
      }
    }
    if (token != null && token.equals(httpToken())) {
      throw new ConfigException(
          HTTP_OPERATOR_TOKEN,
          "[hidden]",
          "equals " + HTTP_TOKEN + ": the operator token must differ from the read token");
    }
    return token;
  }

  /**
   * The personal operator tokens of {@link #HTTP_OPERATOR_TOKENS_FILE}, operator name to token, in
   * file order; empty when it is unset. Problems name the file and line, never a token.
   *
   * @throws ConfigException when the file cannot be read, holds no token, or has a bad line, a
   *     duplicate name or token, a short token, or a token that is also the read or shared token
   */
  public Map<String, String> operatorTokens() {
    String file = getString(HTTP_OPERATOR_TOKENS_FILE);
    if (file.isEmpty()) return Map.of();
    String shared = operatorToken();
    String read = httpToken();
    Map<String, String> tokens = new java.util.LinkedHashMap<>();
    Set<String> seen = new java.util.HashSet<>();
    List<String> lines = readSecret(HTTP_OPERATOR_TOKENS_FILE, file, "tokens").lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String where = "line " + (i + 1) + ": ";
      int colon = line.indexOf(':');
      String name = colon < 0 ? line : line.substring(0, colon).strip();
      String token = colon < 0 ? "" : line.substring(colon + 1).strip();
      String problem = null;
      if (colon < 0 || !OPERATOR_NAME.matcher(name).matches()) {
        problem = "expected 'name:token' with a name of " + OPERATOR_NAME.pattern();
      } else if (token.length() < MIN_OPERATOR_TOKEN_LENGTH || token.matches(".*\\s.*")) {
        problem =
            "the token of "
                + name
                + " must be at least "
                + MIN_OPERATOR_TOKEN_LENGTH
                + " characters, without spaces";
      } else if (tokens.containsKey(name)) {
        problem = "operator " + name + " is listed twice";
      } else if (!seen.add(token)) {
        problem = "the token of " + name + " is another operator's too";
      } else if (token.equals(read) || token.equals(shared)) {
        problem =
            "the token of "
                + name
                + " is also the "
                + (token.equals(read)
                    ? "read token (" + HTTP_TOKEN
                    : "shared token (" + HTTP_OPERATOR_TOKEN)
                + "): each role and person needs its own";
      }
      if (problem != null) {
        throw new ConfigException(HTTP_OPERATOR_TOKENS_FILE, file, where + problem);
      }
      tokens.put(name, token);
    }
    if (tokens.isEmpty()) {
      throw new ConfigException(HTTP_OPERATOR_TOKENS_FILE, file, "the tokens file has no token");
    }
    return java.util.Collections.unmodifiableMap(tokens);
  }

  /** The signing key, from {@link #SIGNING_KEY} or else {@link #SIGNING_KEY_FILE}; or null. */
  private String signingKeyOrNull() {
    Password p = getPassword(SIGNING_KEY);
    if (p != null && !p.value().isBlank()) return p.value().strip();
    String file = getString(SIGNING_KEY_FILE);
    if (file.isEmpty()) return null;
    String key = readSecret(SIGNING_KEY_FILE, file, "key");
    if (key.isEmpty()) {
      throw new ConfigException(SIGNING_KEY_FILE, file, "the key file is empty");
    }
    return key;
  }

  /**
   * The signing keys: the current one first (it signs), then the earlier ones (they only verify).
   * The values never appear in a message.
   *
   * @throws ConfigException when no key is set, a key file cannot be read, or a key is too short
   */
  public List<String> signingKeys() {
    String current = signingKeyOrNull();
    if (current == null) {
      throw new ConfigException(missingSigningKey());
    }
    List<String> keys = new java.util.ArrayList<>();
    keys.add(current);
    Password p = getPassword(SIGNING_PREVIOUS_KEYS);
    if (p != null) {
      for (String k : p.value().split(",")) {
        if (!k.isBlank()) keys.add(k.strip());
      }
    }
    String file = getString(SIGNING_PREVIOUS_KEYS_FILE);
    if (!file.isEmpty()) {
      readSecret(SIGNING_PREVIOUS_KEYS_FILE, file, "key")
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .forEach(keys::add);
    }
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i).length() < MIN_SIGNING_KEY_LENGTH) {
        throw new ConfigException(
            (i == 0
                    ? "the signing key (" + SIGNING_KEY + " or " + SIGNING_KEY_FILE + ")"
                    : "an earlier signing key ("
                        + SIGNING_PREVIOUS_KEYS
                        + " or "
                        + SIGNING_PREVIOUS_KEYS_FILE
                        + ")")
                + " has "
                + keys.get(i).length()
                + " characters; at least "
                + MIN_SIGNING_KEY_LENGTH
                + " are needed (generate one with: openssl rand -base64 32)");
      }
    }
    return keys;
  }

  private static String missingSigningKey() {
    return SIGNING_KEY
        + " is not set; statewarden signs its timer records with it (docs/security.md); set it, or "
        + SIGNING_KEY_FILE
        + " to a file holding it, in the --config file, with -D or as the environment variable "
        + ENV_PREFIX
        + "SIGNING_KEY; generate one with: openssl rand -base64 32";
  }

  private static String readSecret(String setting, String file, String what) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ConfigException(setting, file, "no such " + what + " file");
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ConfigException(setting, file, "the " + what + " file is not UTF-8 text");
    } catch (IOException e) {
      throw new ConfigException(
          setting,
          file,
          "cannot read the "
              + what
              + " file"
              + (Files.isDirectory(Path.of(file)) ? ": it is a directory" : "")
              + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
    }
  }

  /**
   * Refuses to serve the HTTP API to anyone who can connect: bound beyond loopback, with neither
   * {@link #HTTP_TOKEN} nor {@link #HTTP_TOKEN_FILE} set, unless {@link #HTTP_ALLOW_ANONYMOUS} says
   * so. A host name counts as loopback only when it resolves to a loopback address.
   *
   * @throws ConfigException in one line, naming the settings that fix it
   */
  public void checkHttpExposure() {
    String host = getString(HTTP_HOST);
    Password p = getPassword(HTTP_TOKEN);
    boolean token = (p != null && !p.value().isEmpty()) || !getString(HTTP_TOKEN_FILE).isEmpty();
    if (token || getBoolean(HTTP_ALLOW_ANONYMOUS)) return;
    java.net.InetSocketAddress bind = new java.net.InetSocketAddress(host, 0);
    if (!bind.isUnresolved() && bind.getAddress().isLoopbackAddress()) return;
    throw new ConfigException(
        "the HTTP API would serve sessions and metrics on "
            + host
            + " ("
            + HTTP_HOST
            + ") to anyone who can connect: set "
            + HTTP_TOKEN_FILE
            + " or "
            + HTTP_TOKEN
            + ", bind 127.0.0.1, or set "
            + HTTP_ALLOW_ANONYMOUS
            + "=true to serve it without a token");
  }

  /**
   * One line per required setting that is missing or malformed, naming the setting and the ways to
   * set it; empty when all are there. Checked before any client starts.
   */
  public List<String> missingClusterSettings() {
    List<String> problems = new java.util.ArrayList<>();
    new java.util.TreeMap<>(REQUIRED)
        .forEach(
            (key, form) -> {
              Object v = passThrough.get(key);
              if (v == null || v.toString().isBlank()) {
                problems.add(
                    key
                        + " is not set; set it in the --config file, with -D "
                        + key
                        + "="
                        + form
                        + " or as the environment variable "
                        + ENV_PREFIX
                        + key.toUpperCase(Locale.ROOT).replace('.', '_'));
              }
            });
    Password key = getPassword(SIGNING_KEY);
    if ((key == null || key.value().isBlank()) && getString(SIGNING_KEY_FILE).isEmpty()) {
      problems.add(missingSigningKey());
    }
    String url = registryUrl();
    if (url != null && !url.isBlank()) {
      java.net.URI u;
      try {
        u = java.net.URI.create(url.strip());
      } catch (IllegalArgumentException e) {
        u = null;
      }
      if (u == null
          || u.getHost() == null
          || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
        problems.add(
            "apicurio.registry.url '"
                + url
                + "' is not an http:// or https:// URL such as "
                + REQUIRED.get("apicurio.registry.url"));
      }
    }
    return problems;
  }

  /** The registry URL the serdes use, or null. */
  public String registryUrl() {
    Object v = passThrough.get("apicurio.registry.url");
    return v == null ? null : v.toString();
  }
}
