package io.statewarden.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar statewarden.jar <command>}: the one entry point, and the only System.exit. */
@Command(
    name = "statewarden",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Protocol state machines on Kafka Streams.",
    subcommands = {
      ProtocolsCommand.class,
      RunCommand.class,
      LocalCommand.class,
      ReplayCommand.class,
      SessionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"statewarden " + (v == null ? "dev" : v)};
    }
  }
}
