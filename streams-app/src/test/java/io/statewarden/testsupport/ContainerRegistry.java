package io.statewarden.testsupport;

import java.time.Duration;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Apicurio Registry 3.0.9 in a Testcontainers container, storage in memory like {@link
 * io.statewarden.embedded.EmbeddedRegistry}. Needs a Docker engine; image override: {@code
 * -Dstatewarden.registry.image} (the container tests build {@code
 * statewarden-test/apicurio-registry:3.0.9} from the distribution the build unpacks).
 */
final class ContainerRegistry implements AutoCloseable {
  static final String IMAGE_PROPERTY = "statewarden.registry.image";
  static final String DEFAULT_IMAGE = "quay.io/apicurio/apicurio-registry:3.0.9";
  private static final int PORT = 8080;

  private final GenericContainer<?> container;

  private ContainerRegistry(GenericContainer<?> container) {
    this.container = container;
  }

  @SuppressWarnings("resource") // closed by close()
  static ContainerRegistry start() {
    GenericContainer<?> container =
        new GenericContainer<>(
                DockerImageName.parse(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE)))
            .withExposedPorts(PORT)
            .waitingFor(
                Wait.forHttp("/health/ready")
                    .forPort(PORT)
                    .withStartupTimeout(Duration.ofSeconds(180)));
    container.start();
    return new ContainerRegistry(container);
  }

  /** The v3 REST API base, as the serdes' {@code apicurio.registry.url}. */
  String url() {
    return "http://"
        + container.getHost()
        + ":"
        + container.getMappedPort(PORT)
        + "/apis/registry/v3";
  }

  @Override
  public void close() {
    container.stop();
  }
}
