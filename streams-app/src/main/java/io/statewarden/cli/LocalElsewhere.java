package io.statewarden.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code local} in the server jar, which has no broker or registry to start (decision 0013). When
 * the local jar is where a build puts it ({@code local/target/statewarden-local.jar} beside {@code
 * streams-app/target/statewarden.jar}, or {@code statewarden-local.jar} in the same directory), it
 * runs {@code local} there with the same arguments, in a child JVM whose output is this one's and
 * whose exit status it returns: {@code java -jar streams-app/target/statewarden.jar local --demo}
 * works as the contract says. Otherwise one line naming the jar that has it, and exit status 2.
 */
@Command(name = "local", hidden = true, description = "Runs from statewarden-local.jar.")
final class LocalElsewhere implements Callable<Integer> {
  static final String MESSAGE =
      "statewarden: `local` is not in the server jar; run it from the local jar:"
          + " java -jar local/target/statewarden-local.jar local --demo";

  /** Whatever followed {@code local}: its options belong to the local jar's command. */
  @Unmatched List<String> arguments = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Path jar = localJar();
    if (jar == null) {
      throw new CommandFailure(2, MESSAGE);
    }
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-jar", jar.toString(), "local"));
    command.addAll(arguments);
    Process child = new ProcessBuilder(command).inheritIO().start();
    // a TERM to this JVM stops the child the same way (Ctrl-C reaches both: same process group)
    Thread stop =
        new Thread(
            () -> {
              child.destroy();
              try {
                child.waitFor(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "statewarden-local-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    int status = child.waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(stop);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    return status;
  }

  /** The local jar where a build or a distribution puts it, or null. */
  static Path localJar() throws URISyntaxException {
    Path self =
        Path.of(LocalElsewhere.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (!Files.isRegularFile(self)) {
      return null; // classes in a directory (tests, an IDE): no build layout to rely on
    }
    Path dir = self.toAbsolutePath().getParent();
    for (Path candidate :
        List.of(
            dir.resolve("statewarden-local.jar"),
            dir.resolve("../../local/target/statewarden-local.jar").normalize())) {
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
