package io.statewarden.local;

import io.statewarden.cli.Main;

/**
 * {@code java -jar statewarden-local.jar <command>}: every command of the server jar, with {@code
 * local} (an embedded broker and registry) in place of the server's pointer to this jar.
 */
public final class LocalMain {
  private LocalMain() {}

  /**
   * Runs one command and exits with its code, as {@link Main#main} does.
   *
   * @param args the command line arguments
   */
  public static void main(String[] args) {
    Main.run(Main.commandLine(LocalCommand.class), args);
  }
}
