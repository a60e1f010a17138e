package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The shaded server jar as built ({@code target/statewarden.jar}, after {@code package}): no
 * broker, Scala or log4j-core inside (decision 0013), and the native libraries of the image's two
 * platforms only, which load from the jar.
 */
class ServerJarIT {
  static final Path JAR = Path.of("target/statewarden.jar");

  /** Public client interfaces that kafka-clients itself ships under org.apache.kafka.server. */
  static final List<String> CLIENT_SERVER_PACKAGES =
      List.of("authorizer/", "policy/", "quota/", "telemetry/");

  static List<String> entries() throws Exception {
    assertThat(JAR).as("built by package").isRegularFile();
    try (JarFile file = new JarFile(JAR.toFile())) {
      return file.stream().map(ZipEntry::getName).toList();
    }
  }

  static boolean broker(String name) {
    if (name.startsWith("org/apache/kafka/server/")) {
      String rest = name.substring("org/apache/kafka/server/".length());
      return !rest.isEmpty() && CLIENT_SERVER_PACKAGES.stream().noneMatch(rest::startsWith);
    }
    return name.startsWith("kafka/") && name.endsWith(".class")
        || name.startsWith("scala/")
        || name.startsWith("org/apache/kafka/raft/")
        || name.startsWith("org/apache/kafka/metadata/")
        || name.startsWith("org/apache/kafka/storage/")
        || name.startsWith("org/apache/kafka/coordinator/")
        || name.startsWith("org/apache/logging/log4j/core/")
        || name.startsWith("com/yammer/metrics/")
        || name.startsWith("io/statewarden/embedded/")
        || name.startsWith("io/statewarden/local/");
  }

  @Test
  void shouldHoldNoBrokerScalaOrLog4jCore() throws Exception {
    List<String> names = entries();

    assertThat(names)
        .as("sanity: the server itself and Kafka Streams are in it")
        .contains(
            "io/statewarden/cli/Main.class",
            "org/apache/kafka/streams/KafkaStreams.class",
            "org/apache/kafka/server/authorizer/Authorizer.class",
            "org/rocksdb/RocksDB.class");
    assertThat(names)
        .as("broker, Scala and log4j-core entries")
        .filteredOn(ServerJarIT::broker)
        .isEmpty();
  }

  @Test
  void shouldHoldTheNativeLibrariesOfLinuxX8664AndAarch64Only() throws Exception {
    assertThat(entries())
        .filteredOn(n -> n.matches(".*\\.(so|dll|dylib|jnilib|a)$"))
        .containsExactlyInAnyOrder(
            "librocksdbjni-linux64.so",
            "librocksdbjni-linux-aarch64.so",
            "linux/amd64/libzstd-jni-1.5.6-10.so",
            "linux/aarch64/libzstd-jni-1.5.6-10.so",
            "org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so",
            "org/xerial/snappy/native/Linux/aarch64/libsnappyjava.so",
            "net/jpountz/util/linux/amd64/liblz4-java.so",
            "net/jpountz/util/linux/aarch64/liblz4-java.so");
  }

  /** RocksDB and the codecs Kafka may use load their native code from the jar, on this machine. */
  @Test
  void shouldLoadRocksDbAndTheCodecsFromTheJar() throws Exception {
    byte[] data = "statewarden ".repeat(100).getBytes(StandardCharsets.UTF_8);
    try (URLClassLoader jar =
        new URLClassLoader(new URL[] {JAR.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      Class<?> rocks = jar.loadClass("org.rocksdb.RocksDB");
      rocks.getMethod("loadLibrary").invoke(null);
      Class<?> zstd = jar.loadClass("com.github.luben.zstd.Zstd");
      byte[] z = (byte[]) zstd.getMethod("compress", byte[].class).invoke(null, data);
      assertThat(z).hasSizeLessThan(data.length);
      Class<?> snappy = jar.loadClass("org.xerial.snappy.Snappy");
      byte[] s = (byte[]) snappy.getMethod("compress", byte[].class).invoke(null, data);
      assertThat(s).hasSizeLessThan(data.length);
      Class<?> lz4 = jar.loadClass("net.jpountz.lz4.LZ4Factory");
      Object nativeLz4 = lz4.getMethod("nativeInstance").invoke(null);
      assertThat(nativeLz4).isNotNull();
    }
  }
}
