package io.statewarden.deploy.containers;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a container test class only where a container engine answers. Without one the class is
 * disabled with a message naming what is missing (also printed on standard error), unless {@code
 * -Dstatewarden.containers=required} (as {@code .ci/run} sets): then it fails. Register it before
 * any extension that starts infrastructure, so that nothing starts for a failed class.
 */
public final class ContainerEngine implements ExecutionCondition, BeforeAllCallback {
  static final String PROPERTY = "statewarden.containers";
  private static volatile Optional<String> missing;

  private static final String NEED =
      "The container tests need one (`docker info` must answer; .ci/run installs docker.io and"
          + " starts dockerd)";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return check(engineMissing(), NEED);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    require(engineMissing(), NEED);
  }

  private static Optional<String> engineMissing() {
    return missing().map(m -> "No container engine: " + m);
  }

  /**
   * Disables the calling test, saying why on standard error too, when something is missing and
   * {@code -Dstatewarden.containers=required} is not set (then {@link #require} fails it).
   *
   * @param missing what is missing, or empty when all is there
   * @param need what the tests need, for the message
   */
  static ConditionEvaluationResult check(Optional<String> missing, String need) {
    if (missing.isEmpty() || required()) {
      return ConditionEvaluationResult.enabled("a container engine answers");
    }
    String message =
        missing.get()
            + ". "
            + need
            + "; skipped (-D"
            + PROPERTY
            + "=required makes this a failure)";
    System.err.println("[container tests] " + message);
    return ConditionEvaluationResult.disabled(message);
  }

  /**
   * Fails with {@code -Dstatewarden.containers=required} when something is missing.
   *
   * @param missing what is missing, or empty when all is there
   * @param need what the tests need, for the message
   */
  static void require(Optional<String> missing, String need) {
    if (missing.isPresent() && required()) {
      throw new IllegalStateException(
          missing.get() + ". " + need + ", and -D" + PROPERTY + "=required");
    }
  }

  private static boolean required() {
    return "required".equals(System.getProperty(PROPERTY));
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
