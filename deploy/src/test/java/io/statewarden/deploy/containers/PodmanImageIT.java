package io.statewarden.deploy.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/Dockerfile} built by Podman (Buildah) as it is, on the same local JRE base as the
 * Docker-built image (copied from Docker's store), and the image run by Podman: its entrypoint, as
 * its user. Podman's default open-files and process limits for rootful containers are above what
 * the test machines allow (see docs/deployment.md), so the run sets them.
 */
@Tag("container")
@ExtendWith({ContainerEngine.class, PodmanImageIT.PodmanCommand.class})
class PodmanImageIT {
  static final String IMAGE = "localhost/statewarden-test/statewarden:podman";
  static final String BASE = "localhost/" + TestImages.JRE;

  /** The limits the run sets (Podman's defaults need CAP_SYS_RESOURCE to raise them). */
  static final List<String> LIMITS =
      List.of("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096");

  static final String NEED_PODMAN =
      "The Podman image test needs podman (.ci/run installs it; `podman info` must answer)";

  @TempDir Path dir;

  /** Runs the class only where podman runs (see {@link ContainerEngine}). */
  static final class PodmanCommand implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return ContainerEngine.check(podmanMissing(), NEED_PODMAN);
    }
  }

  @Test
  void shouldBuildTheDockerfileWithPodmanAndRunItAsItsUser() throws Exception {
    ContainerEngine.require(podmanMissing(), NEED_PODMAN);
    TestImages.buildStatewarden(); // the jar and the JRE base, as for Docker
    String baseId = Docker.ok("image", "inspect", "-f", "{{.Id}}", TestImages.JRE);
    if (!podman(Duration.ofMinutes(1), "image", "inspect", "-f", "{{.Id}}", BASE)
        .out()
        .strip()
        .equals(baseId.replaceFirst("^sha256:", ""))) {
      Path archive = dir.resolve("jre.tar");
      Docker.ok("save", "-o", archive.toString(), TestImages.JRE);
      ok(podman(Duration.ofMinutes(5), "load", "-i", archive.toString()));
    }
    long started = System.nanoTime();
    try {
      ok(
          podman(
              Duration.ofMinutes(10),
              "build",
              "-q",
              "-f",
              "deploy/Dockerfile",
              "--build-arg",
              "BASE=" + BASE,
              "-t",
              IMAGE,
              Docker.ROOT.toString()));
      System.out.printf(
          "[container tests] %s built by podman in %d s%n",
          IMAGE, (System.nanoTime() - started) / 1_000_000_000);

      // the entrypoint (java -jar ... with the arguments given) as the image's user
      assertThat(ok(run(IMAGE, "--version"))).contains("statewarden");
      assertThat(ok(run("--entrypoint", "id", IMAGE)))
          .isEqualTo("uid=10001(statewarden) gid=10001(statewarden) groups=10001(statewarden)");
    } finally {
      podman(Duration.ofMinutes(1), "rmi", "-f", IMAGE);
    }
  }

  /** {@code podman run --rm} with the limits and these options, image and arguments. */
  private static Docker.Result run(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("run", "--rm"));
    cmd.addAll(LIMITS);
    cmd.addAll(List.of(args));
    return podman(Duration.ofMinutes(2), cmd.toArray(String[]::new));
  }

  private static String ok(Docker.Result r) {
    assertThat(r.exit()).as("podman: %s", r.err()).isZero();
    return r.out().strip();
  }

  static Docker.Result podman(Duration timeout, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(List.of(args));
    return Docker.run(cmd, timeout);
  }

  static Optional<String> podmanMissing() {
    try {
      Docker.Result r =
          podman(Duration.ofSeconds(60), "info", "--format", "{{.Host.OCIRuntime.Name}}");
      return r.ok() ? Optional.empty() : Optional.of("`podman info` failed: " + r.err().strip());
    } catch (IOException e) {
      return Optional.of("`podman` cannot be run (" + e.getMessage() + ")");
    }
  }
}
