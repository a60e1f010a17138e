package io.statewarden.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code local} in the server jar, which has no broker or registry to start (decision 0013): one
 * line naming the jar that has them, and exit status 2, whatever the arguments.
 */
@Command(name = "local", hidden = true, description = "Runs from statewarden-local.jar.")
final class LocalElsewhere implements Callable<Integer> {
  static final String MESSAGE =
      "statewarden: `local` is not in the server jar; run it from the local jar:"
          + " java -jar local/target/statewarden-local.jar local --demo";

  /** Whatever followed {@code local}: its options belong to the local jar's command. */
  @Unmatched List<String> arguments = new ArrayList<>();

  @Override
  public Integer call() {
    throw new CommandFailure(2, MESSAGE);
  }
}
