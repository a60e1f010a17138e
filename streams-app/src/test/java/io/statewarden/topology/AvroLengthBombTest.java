package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.statewarden.config.AvroLimits;
import io.statewarden.config.Topics;
import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.ProtocolCatalog;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * An Avro length bomb (a few bytes claiming a string of 2^30 bytes) through the real topology, in a
 * JVM of its own with a 64 MiB heap: with statewarden's Avro limits it is dead-lettered and the JVM
 * lives; the same JVM without them dies of OutOfMemoryError, which is what makes this a test.
 */
class AvroLengthBombTest {
  /** eventId's length as an Avro long (zigzag varint): 2^30, then nothing. */
  static final byte[] BOMB = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0};

  /** Runs in the child JVM: {@code limits} or {@code none}; prints the dead letter's error. */
  public static void main(String[] args) throws Exception {
    if (args[0].equals("limits")) {
      AvroLimits.apply(1 << 20);
    }
    Engine engine = new Engine(ProtocolCatalog.builtins(), EngineConfig.DEFAULTS);
    var settings = TopologyFactory.Settings.builder(Topics.DEFAULTS, "bomb").build();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bomb");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            TopologyFactory.build(engine, settings, new PlainAvro.Ser(), new PlainAvro.De(), true),
            props)) {
      driver
          .createInputTopic(
              Topics.DEFAULTS.events(), new ByteArraySerializer(), new ByteArraySerializer())
          .pipeInput("s".getBytes(StandardCharsets.UTF_8), BOMB);
      TestOutputTopic<byte[], byte[]> dlq =
          driver.createOutputTopic(
              Topics.DEFAULTS.dlq(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      for (var r : dlq.readRecordsToList()) {
        System.out.println(
            "DEAD LETTER: "
                + new String(
                    r.headers().lastHeader(DecodeProcessor.H_ERROR).value(),
                    StandardCharsets.UTF_8));
      }
    }
  }

  static Result runChild(String mode) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx64m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(AvroLengthBombTest.class.getName());
    cmd.add(mode);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try {
                p.getInputStream().transferTo(out);
              } catch (java.io.IOException e) {
                // the child is gone
              }
            });
    reader.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
    reader.join(5_000);
    return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }

  record Result(int exit, String output) {}

  @Test
  void shouldDeadLetterALengthBombAndKeepTheJvmUpUnderASmallHeap() throws Exception {
    Result limited = runChild("limits");
    assertThat(limited.exit()).as(limited.output()).isZero();
    assertThat(limited.output())
        .contains("DEAD LETTER: ")
        .contains("String length 1073741824 exceeds maximum allowed");

    Result unlimited = runChild("none");
    assertThat(unlimited.exit()).as("without the limits the bomb is lethal").isNotZero();
    assertThat(unlimited.output()).contains("OutOfMemoryError");
  }
}
