package io.statewarden.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny {@code sh} loop that kills a child process once this JVM is gone, covering what a shutdown
 * hook cannot: {@code kill -9} of this JVM. It checks once a second and ends with the child.
 */
final class OrphanWatchdog {
  private static final Logger LOG = LoggerFactory.getLogger(OrphanWatchdog.class);
  private static final Path SH = Path.of("/bin/sh");

  private OrphanWatchdog() {}

  /**
   * Starts the watchdog for {@code childPid}, where {@code /bin/sh} exists.
   *
   * @param childPid the process to kill when this JVM dies
   * @return the watchdog process, to destroy once the child is stopped; empty without {@code sh}
   */
  static Optional<Process> start(long childPid) {
    if (!Files.isExecutable(SH)) {
      return Optional.empty();
    }
    long self = ProcessHandle.current().pid();
    String script =
        ("while kill -0 %1$d && kill -0 %2$d; do sleep 1; done 2>/dev/null;"
                + " kill -0 %1$d 2>/dev/null || kill %2$d 2>/dev/null")
            .formatted(self, childPid);
    try {
      return Optional.of(
          new ProcessBuilder(SH.toString(), "-c", script)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start());
    } catch (IOException e) {
      LOG.debug("No orphan watchdog for process {}", childPid, e);
      return Optional.empty();
    }
  }
}
