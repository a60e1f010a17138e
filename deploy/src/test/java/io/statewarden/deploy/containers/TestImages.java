package io.statewarden.deploy.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The images the container tests run, built from packages and Maven artifacts by {@code
 * deploy/images/build-test-images.sh} (no pull; an image whose content hash matches is kept).
 */
public final class TestImages {
  public static final String JRE = "statewarden-test/jre:17";
  public static final String KAFKA = "statewarden-test/kafka:4.3.1";
  public static final String REGISTRY = "statewarden-test/apicurio-registry:3.0.9";
  public static final String POSTGRES = "statewarden-test/postgres:15";
  public static final String CONNECT = "statewarden-test/connect:3.6.0.Final";

  /** statewarden's own image: the real deploy/Dockerfile on the local JRE base. */
  public static final String STATEWARDEN = "statewarden-test/statewarden:it";

  private TestImages() {}

  /**
   * Builds (or keeps) the named base images: {@code jre}, {@code kafka}, {@code registry}, {@code
   * postgres}, {@code connect} (the last needs the connectors module packaged).
   */
  public static void build(String... names) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Docker.ROOT.resolve("deploy/images/build-test-images.sh").toString());
    cmd.addAll(List.of(names));
    long started = System.nanoTime();
    try {
      Docker.Result r = Docker.run(cmd, Duration.ofMinutes(20));
      if (!r.ok()) {
        throw new IllegalStateException(
            "deploy/images/build-test-images.sh exited with " + r.exit() + ": " + r.err());
      }
      System.out.printf(
          "[container tests] images %s ready in %d s%n%s",
          List.of(names), (System.nanoTime() - started) / 1_000_000_000, r.err());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Builds statewarden's image from {@code deploy/Dockerfile} on the local JRE base, from the jar
   * {@code package} built.
   */
  public static synchronized void buildStatewarden() {
    if (!Docker.ROOT.resolve("streams-app/target/statewarden.jar").toFile().isFile()) {
      throw new IllegalStateException(
          "streams-app/target/statewarden.jar is missing: the image test runs after `package`"
              + " (./mvnw -B verify, or -pl deploy -am)");
    }
    build("jre");
    long started = System.nanoTime();
    Docker.ok(
        "build",
        "-q",
        "-f",
        "deploy/Dockerfile",
        "--build-arg",
        "BASE=" + JRE,
        "-t",
        STATEWARDEN,
        Docker.ROOT.toString());
    System.out.printf(
        "[container tests] %s built in %d s%n",
        STATEWARDEN, (System.nanoTime() - started) / 1_000_000_000);
  }
}
