package io.statewarden.deploy.containers;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a container test class only where a container engine answers. Without one the class is
 * skipped with a message naming what is missing, unless {@code -Dstatewarden.containers=required}
 * (as {@code .ci/run} sets): then it fails. Register it before any extension that starts
 * infrastructure, so that nothing starts for a skipped class.
 */
public final class ContainerEngine implements BeforeAllCallback {
  static final String PROPERTY = "statewarden.containers";
  private static volatile Optional<String> missing;

  @Override
  public void beforeAll(ExtensionContext context) {
    require(
        missing().map(m -> "No container engine: " + m),
        "The container tests need one (`"
            + Docker.command()
            + " info` must answer; .ci/run installs docker.io and starts dockerd)");
  }

  /**
   * Skips the calling test (or fails it, with {@code -Dstatewarden.containers=required}) when
   * something is missing.
   *
   * @param missing what is missing, or empty when all is there
   * @param need what the tests need, for the message
   */
  static void require(Optional<String> missing, String need) {
    if (missing.isEmpty()) {
      return;
    }
    String message = missing.get() + ". " + need;
    if ("required".equals(System.getProperty(PROPERTY))) {
      throw new IllegalStateException(message + ", and -D" + PROPERTY + "=required");
    }
    Assumptions.abort(message + "; skipped (-D" + PROPERTY + "=required makes this a failure)");
  }

  /** Why no engine can be used, or empty when {@code docker info} answers. */
  static synchronized Optional<String> missing() {
    if (missing == null) {
      missing = probe();
    }
    return missing;
  }

  private static Optional<String> probe() {
    try {
      Docker.Result r =
          Docker.exec(Duration.ofSeconds(30), "info", "--format", "{{.ServerVersion}}");
      if (r.ok() && !r.out().isBlank()) {
        return Optional.empty();
      }
      return Optional.of(
          "`" + Docker.command() + " info` exited with " + r.exit() + ": " + r.err().strip());
    } catch (IOException e) {
      return Optional.of("`" + Docker.command() + "` cannot be run (" + e.getMessage() + ")");
    } catch (IllegalStateException e) {
      return Optional.of(e.getMessage());
    }
  }
}
