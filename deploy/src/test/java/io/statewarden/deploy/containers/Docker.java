package io.statewarden.deploy.containers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The container engine's command line: {@code docker}, or the command named by {@code
 * -Dstatewarden.docker} (or {@code STATEWARDEN_DOCKER}).
 */
public final class Docker {
  /** The repository root: the build context of {@code deploy/Dockerfile}. */
  public static final Path ROOT =
      Path.of(System.getProperty("statewarden.root", "..")).toAbsolutePath().normalize();

  private Docker() {}

  /** What a command printed and how it ended. */
  public record Result(int exit, String out, String err) {
    public boolean ok() {
      return exit == 0;
    }
  }

  public static String command() {
    String c = System.getProperty("statewarden.docker", System.getenv("STATEWARDEN_DOCKER"));
    return c == null || c.isBlank() ? "docker" : c;
  }

  /** Runs {@code docker <args>}; a command still running after {@code timeout} is killed. */
  public static Result exec(Duration timeout, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(command());
    cmd.addAll(List.of(args));
    return run(cmd, timeout);
  }

  /**
   * Runs a command (not only docker) in the repository root, with the engine's command in
   * STATEWARDEN_DOCKER and the given {@code NAME=value} variables.
   */
  public static Result run(List<String> cmd, Duration timeout, String... env) throws IOException {
    return runWithInput(cmd, timeout, "", env);
  }

  /** {@link #run}, writing {@code input} to the command's standard input. */
  public static Result runWithInput(List<String> cmd, Duration timeout, String input, String... env)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
    pb.environment().put("STATEWARDEN_DOCKER", command());
    for (String e : env) {
      pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    }
    Process p = pb.start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    try (OutputStream in = p.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    } catch (IOException gone) {
      // the command ended without reading all of it: its exit status and output say why
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", cmd) + " did not finish within " + timeout + ": " + err.join());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted: " + cmd, e);
    }
    return new Result(p.exitValue(), out.join(), err.join());
  }

  /** Runs {@code docker <args>} (at most 10 minutes) and returns its output; fails on an error. */
  public static String ok(String... args) {
    try {
      Result r = exec(Duration.ofMinutes(10), args);
      if (!r.ok()) {
        throw new IllegalStateException(
            "docker " + String.join(" ", args) + " exited with " + r.exit() + ": " + r.err());
      }
      return r.out().strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(could not read: " + e + ")";
    }
  }
}
