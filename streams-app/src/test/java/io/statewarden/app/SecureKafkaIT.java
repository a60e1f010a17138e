package io.statewarden.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.cli.TestAccess;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.config.Topics;
import io.statewarden.embedded.EmbeddedKafka;
import io.statewarden.embedded.Ports;
import io.statewarden.schema.AuditRecord;
import io.statewarden.schema.Decision;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.schema.RejectReason;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import io.statewarden.topology.RecordMac;
import io.statewarden.topology.TimerRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * statewarden against a broker secured the way deploy/k8s declares it: a SASL_SSL listener (a
 * certificate made now with keytool), SCRAM-SHA-512 users, the standard authorizer and exactly the
 * ACLs of {@code deploy/k8s/base/users.yaml}. It processes end to end; clients without grants are
 * refused; a wrong password stops the start at once with a clear message. (The broker also has a
 * PLAINTEXT listener on loopback whose anonymous principal is a super user: the test's own admin
 * channel for users, ACLs and topics.)
 */
@ExtendWith(RealKafka.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureKafkaIT {
  static final Path USERS = Path.of("..", "deploy", "k8s", "base", "users.yaml");
  static final String REPLAYER = "statewarden-replayer";

  @TempDir static Path dir;

  KafkaRaftServer broker;
  String plain;
  String secure;
  Path truststore;
  final String trustPassword = UUID.randomUUID().toString();
  final Map<String, String> passwords = new HashMap<>();

  @BeforeAll
  void startSecureBroker() throws Exception {
    Path tls = Files.createDirectories(dir.resolve("tls"));
    String keyPassword = UUID.randomUUID().toString();
    Path keystore = tls.resolve("broker.p12");
    truststore = tls.resolve("trust.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "2",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        keyPassword,
        "-keypass",
        keyPassword);
    Path cert = tls.resolve("broker.pem");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "broker",
        "-file",
        cert.toString(),
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        keyPassword);
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "broker",
        "-file",
        cert.toString(),
        "-keystore",
        truststore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        trustPassword);

    Path data = Files.createDirectories(dir.resolve("kafka"));
    int plainPort = Ports.freeLoopbackPort();
    int securePort = Ports.freeLoopbackPort();
    int controllerPort = Ports.freeLoopbackPort();
    Properties p = EmbeddedKafka.brokerProperties(data, plainPort, controllerPort);
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:"
            + plainPort
            + ",SASL_SSL://127.0.0.1:"
            + securePort
            + ",CONTROLLER://127.0.0.1:"
            + controllerPort);
    p.put(
        "advertised.listeners",
        "PLAINTEXT://127.0.0.1:" + plainPort + ",SASL_SSL://127.0.0.1:" + securePort);
    p.put(
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
    p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
    p.put(
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", keystore.toString());
    p.put("ssl.keystore.password", keyPassword);
    p.put("ssl.key.password", keyPassword);
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:ANONYMOUS");
    EmbeddedKafka.formatIfNeeded(data);
    broker = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
    broker.startup();
    plain = "127.0.0.1:" + plainPort;
    secure = "127.0.0.1:" + securePort;

    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", plain))) {
      List<NewTopic> topics = new ArrayList<>();
      for (String t : Topics.DEFAULTS.all()) topics.add(new NewTopic(t, 2, (short) 1));
      admin.createTopics(topics).all().get();
      List<UserScramCredentialAlteration> users = new ArrayList<>();
      for (String u :
          List.of(
              "statewarden",
              "statewarden-producer",
              "statewarden-consumer",
              "intruder",
              REPLAYER)) {
        passwords.put(u, UUID.randomUUID().toString());
        users.add(
            new UserScramCredentialUpsertion(
                u, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), passwords.get(u)));
      }
      admin.alterUserScramCredentials(users).all().get();
      admin.createAcls(aclsOfManifests()).all().get();
      admin.createAcls(replayAcls()).all().get();
    }
  }

  @AfterAll
  void stopBroker() {
    if (broker != null) {
      broker.shutdown();
      broker.awaitShutdown();
    }
  }

  /** The ACLs of every KafkaUser in deploy/k8s/base/users.yaml, as the User Operator makes them. */
  static List<AclBinding> aclsOfManifests() throws IOException {
    List<AclBinding> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(USERS)) {
      for (Object o : new Yaml().loadAll(in)) {
        Map<?, ?> doc = (Map<?, ?>) o;
        if (!"KafkaUser".equals(doc.get("kind"))) continue;
        String user = (String) ((Map<?, ?>) doc.get("metadata")).get("name");
        Map<?, ?> authz = (Map<?, ?>) ((Map<?, ?>) doc.get("spec")).get("authorization");
        for (Object a : (List<?>) authz.get("acls")) {
          Map<?, ?> acl = (Map<?, ?>) a;
          Map<?, ?> res = (Map<?, ?>) acl.get("resource");
          String type = (String) res.get("type");
          ResourcePattern pattern =
              type.equals("cluster")
                  ? new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL)
                  : new ResourcePattern(
                      ResourceType.valueOf(snake(type)),
                      (String) res.get("name"),
                      "prefix".equals(res.get("patternType"))
                          ? PatternType.PREFIXED
                          : PatternType.LITERAL);
          for (Object op : (List<?>) acl.get("operations")) {
            out.add(
                new AclBinding(
                    pattern,
                    new AccessControlEntry(
                        "User:" + user,
                        "*",
                        AclOperation.valueOf(snake((String) op)),
                        AclPermissionType.ALLOW)));
          }
        }
      }
    }
    assertThat(out).hasSizeGreaterThan(20);
    return out;
  }

  /**
   * What {@code replay --output-prefix replay1 --verify} needs (docs/security.md): read the events
   * and the live outputs, its own output topics, group, internal topics and transactional ids.
   */
  static List<AclBinding> replayAcls() {
    List<AclBinding> out = new ArrayList<>();
    BiConsumer<ResourcePattern, List<AclOperation>> allow =
        (pattern, ops) ->
            ops.forEach(
                op ->
                    out.add(
                        new AclBinding(
                            pattern,
                            new AccessControlEntry(
                                "User:" + REPLAYER, "*", op, AclPermissionType.ALLOW))));
    for (String t : Topics.DEFAULTS.all()) {
      allow.accept(
          new ResourcePattern(ResourceType.TOPIC, t, PatternType.LITERAL),
          List.of(AclOperation.READ, AclOperation.DESCRIBE));
    }
    allow.accept(
        new ResourcePattern(ResourceType.TOPIC, "replay1", PatternType.PREFIXED),
        List.of(AclOperation.CREATE, AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE));
    allow.accept(
        new ResourcePattern(ResourceType.TOPIC, "statewarden-replay-", PatternType.PREFIXED),
        List.of(
            AclOperation.CREATE,
            AclOperation.READ,
            AclOperation.WRITE,
            AclOperation.DESCRIBE,
            AclOperation.DESCRIBE_CONFIGS,
            AclOperation.DELETE));
    allow.accept(
        new ResourcePattern(ResourceType.GROUP, "statewarden-replay-", PatternType.PREFIXED),
        List.of(AclOperation.READ, AclOperation.DESCRIBE));
    allow.accept(
        new ResourcePattern(
            ResourceType.TRANSACTIONAL_ID, "statewarden-replay-", PatternType.PREFIXED),
        List.of(AclOperation.WRITE, AclOperation.DESCRIBE));
    allow.accept(
        new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
        List.of(AclOperation.IDEMPOTENT_WRITE));
    return out;
  }

  /** transactionalId -> TRANSACTIONAL_ID, IdempotentWrite -> IDEMPOTENT_WRITE */
  static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("keytool %s: %s", args[0], out).isZero();
  }

  Map<String, Object> client(String user, String password) {
    Map<String, Object> c = new HashMap<>();
    c.put("bootstrap.servers", secure);
    c.put("security.protocol", "SASL_SSL");
    c.put("sasl.mechanism", "SCRAM-SHA-512");
    c.put(
        "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
            + user
            + "\" password=\""
            + password
            + "\";");
    c.put("ssl.truststore.type", "PKCS12");
    c.put("ssl.truststore.location", truststore.toString());
    c.put("ssl.truststore.password", trustPassword);
    return c;
  }

  Map<String, String> app(KafkaInfra infra, String password) {
    Map<String, String> s = new HashMap<>();
    client("statewarden", password).forEach((k, v) -> s.put(k, v.toString()));
    s.put("apicurio.registry.url", infra.registryUrl());
    s.put("state.dir", dir.resolve("state-" + UUID.randomUUID()).toString());
    s.put("replication.factor", "1");
    s.put(StatewardenConfig.HTTP_PORT, "0");
    s.put(StatewardenConfig.PUNCTUATION_INTERVAL_MS, "100");
    s.put(StatewardenConfig.SIGNING_KEY, Deployment.SIGNING_KEY);
    return s;
  }

  KafkaProducer<byte[], byte[]> producer(String user) {
    return producer(user, true);
  }

  /** Idempotence off for the refused writes: the refusal to test is the topic's, not the id's. */
  KafkaProducer<byte[], byte[]> producer(String user, boolean idempotent) {
    Map<String, Object> c = client(user, passwords.get(user));
    c.put("enable.idempotence", String.valueOf(idempotent));
    if (!idempotent) c.put("acks", "1");
    c.put("max.block.ms", "15000");
    c.put("delivery.timeout.ms", "15000");
    c.put("request.timeout.ms", "10000");
    return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  KafkaConsumer<byte[], byte[]> consumer(String user, String group) {
    Map<String, Object> c = client(user, passwords.get(user));
    if (group != null) c.put("group.id", group);
    c.put("isolation.level", "read_committed");
    c.put("auto.offset.reset", "earliest");
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @Test
  void shouldProcessEndToEndWithTheDeclaredAclsAndRefuseTheRest(KafkaInfra infra) throws Exception {
    Topics t = Topics.DEFAULTS;
    try (StatewardenApp app =
        StatewardenApp.start(
            StatewardenConfig.load(
                null, Map.of(), app(infra, passwords.get("statewarden")), List.of()))) {
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(app::isRunning);
      long now = System.currentTimeMillis();
      try (KafkaProducer<byte[], byte[]> p = producer("statewarden-producer")) {
        for (int i = 0; i < 6; i++) {
          String id = "secure-" + i;
          p.send(
                  new ProducerRecord<>(
                      t.eventsJson(),
                      null,
                      now,
                      id.getBytes(StandardCharsets.UTF_8),
                      Deployment.json(id, "e1", "taleus-listener", "InboundContact", "{}")
                          .getBytes(StandardCharsets.UTF_8)))
              .get();
        }
      }
      // a downstream service reads the transitions with its own grants
      Set<String> sessions = new HashSet<>();
      try (KafkaConsumer<byte[], byte[]> c =
          consumer("statewarden-consumer", "statewarden-consumer-it")) {
        c.subscribe(List.of(t.transitions()));
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    sessions.add(new String(r.key(), StandardCharsets.UTF_8));
                  }
                  return sessions.size() == 6;
                });
      }
      assertThat(sessions).allSatisfy(s -> assertThat(s).startsWith("secure-"));

      // a producer copies what GET /sessions/secure-0 shows of its pending 5 s timer into the
      // events topic, which it may write, with made-up statewarden headers
      forgeTimer(infra, "secure-0", now + 5_000);
      // and statewarden rejects it, naming where it was really read, and fires the deadline itself
      AuditRecord rejected =
          awaitAudit(
              infra,
              a ->
                  a.getSessionId().equals("secure-0")
                      && a.getReason() == RejectReason.RESERVED_TYPE);
      assertThat(rejected.getDecision()).isEqualTo(Decision.REJECTED);
      assertThat(rejected.getInput().getTopic()).isEqualTo(t.events());
      assertThat(rejected.getStateBefore()).isEqualTo(rejected.getStateAfter());
      AuditRecord fired =
          awaitAudit(
              infra,
              a ->
                  a.getSessionId().equals("secure-0")
                      && a.getDecision() == Decision.DEADLINE_FIRED);
      java.time.Instant deadline = java.time.Instant.ofEpochMilli(now + 5_000);
      assertThat(fired.getAt()).isEqualTo(deadline);
      // `at` is the deadline whichever record fires it; the wall clock it was processed at is
      // not: a forged timer believed would fire when it was read (before the deadline, as the
      // rejection shows it was read), the real one only once the wall clock reaches the deadline
      assertThat(fired.getProcessedAt())
          .as(
              "the deadline fired at %s, its forged timer was read at %s",
              fired.getProcessedAt(), rejected.getProcessedAt())
          .isAfterOrEqualTo(deadline)
          .isAfterOrEqualTo(rejected.getProcessedAt());
      System.out.printf(
          "SecureKafkaIT: forged timer read %d ms before its deadline%n",
          deadline.toEpochMilli() - rejected.getProcessedAt().toEpochMilli());

      // without a grant: writing an output or reading the audit trail is refused
      for (String user : List.of("intruder", "statewarden-consumer", "statewarden-producer")) {
        try (KafkaProducer<byte[], byte[]> p = producer(user, false)) {
          assertThatThrownBy(
                  () ->
                      p.send(new ProducerRecord<>(t.transitions(), new byte[] {1}, new byte[] {1}))
                          .get())
              .as("%s writes %s", user, t.transitions())
              .isInstanceOf(ExecutionException.class)
              .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaConsumer<byte[], byte[]> c = consumer(user, null)) {
          TopicPartition audit = new TopicPartition(t.audit(), 0);
          c.assign(List.of(audit));
          c.seekToBeginning(List.of(audit));
          assertThatThrownBy(() -> c.poll(Duration.ofSeconds(10)))
              .as("%s reads %s", user, t.audit())
              .isInstanceOf(TopicAuthorizationException.class);
        }
      }
    }

    // and: replay, as the CLI runs it, on the same TLS + SCRAM listener, reproduces the outputs
    Properties settings = new Properties();
    client(REPLAYER, passwords.get(REPLAYER)).forEach((k, v) -> settings.put(k, v.toString()));
    settings.put("apicurio.registry.url", infra.registryUrl());
    settings.put("state.dir", dir.resolve("state-replay").toString());
    settings.put("replication.factor", "1");
    settings.put(StatewardenConfig.SIGNING_KEY, Deployment.SIGNING_KEY);
    Path file = dir.resolve("replay.properties");
    try (var w = Files.newBufferedWriter(file)) {
      settings.store(w, null);
    }
    StringWriter out = new StringWriter();
    int exit =
        TestAccess.commandLine()
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(out, true))
            .execute(
                "replay",
                "--config",
                file.toString(),
                "--output-prefix",
                "replay1",
                "--verify",
                "--idle-timeout-s",
                "60");
    assertThat(exit).as("replay exit; output:%n%s", out).isZero();
    assertThat(out.toString()).contains("verify: identical");
  }

  /** As user statewarden-producer: a timer record with every field a real one has. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void forgeTimer(KafkaInfra infra, String session, long deadline) throws Exception {
    ProtocolEvent timer =
        ProtocolEvent.newBuilder()
            .setEventId("deadline:" + deadline + ":1")
            .setSessionId(session)
            .setProtocol("taleus-listener")
            .setProtocolVersion(1)
            .setType(TimerRecords.TYPE)
            .setPayload(Map.of("deadline", deadline, "seq", 1L))
            .setSource("statewarden")
            .build();
    AvroKafkaSerializer ser = new AvroKafkaSerializer<>();
    ser.configure(
        Map.of(
            "apicurio.registry.url",
            infra.registryUrl(),
            "apicurio.registry.auto-register",
            "true"),
        false);
    byte[] value = ser.serialize(Topics.DEFAULTS.events(), timer);
    ser.close();
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(
            Topics.DEFAULTS.events(),
            null,
            deadline,
            session.getBytes(StandardCharsets.UTF_8),
            value);
    r.headers().add(RecordMac.HEADER, "0badc0de:AAAA".getBytes(StandardCharsets.UTF_8));
    r.headers().add("statewarden.source.topic", "elsewhere".getBytes(StandardCharsets.UTF_8));
    r.headers().add("statewarden.source.partition", "0".getBytes(StandardCharsets.UTF_8));
    r.headers().add("statewarden.source.offset", "0".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<byte[], byte[]> p = producer("statewarden-producer")) {
      p.send(r).get();
    }
  }

  /** The first audit record that matches, read as the replayer (which may read the audit). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  AuditRecord awaitAudit(KafkaInfra infra, java.util.function.Predicate<AuditRecord> match) {
    AvroKafkaDeserializer de = new AvroKafkaDeserializer<>();
    de.configure(
        Map.of(
            "apicurio.registry.url",
            infra.registryUrl(),
            "apicurio.registry.use-specific-avro-reader",
            "true"),
        false);
    AuditRecord[] found = new AuditRecord[1];
    try (KafkaConsumer<byte[], byte[]> c = consumer(REPLAYER, null)) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(Topics.DEFAULTS.audit())
          .forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                  AuditRecord a = (AuditRecord) de.deserialize(r.topic(), r.headers(), r.value());
                  if (found[0] == null && match.test(a)) found[0] = a;
                }
                return found[0] != null;
              });
    } finally {
      de.close();
    }
    return found[0];
  }

  @Test
  void shouldStopTheStartAtOnceOnAWrongPassword(KafkaInfra infra) {
    long started = System.nanoTime();
    assertThatThrownBy(
            () ->
                StatewardenApp.start(
                    StatewardenConfig.load(null, Map.of(), app(infra, "wrong-pw"), List.of())))
        .isInstanceOf(StartupException.class)
        .hasMessageContaining("refused to authenticate")
        .hasMessageContaining(secure)
        .hasMessageContaining("SCRAM-SHA-512")
        .hasMessageContaining("sasl.jaas.config")
        .hasCauseInstanceOf(SaslAuthenticationException.class)
        .message()
        .doesNotContain("wrong-pw");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
  }
}
