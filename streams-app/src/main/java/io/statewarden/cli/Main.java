package io.statewarden.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.function.IntConsumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar statewarden.jar <command>}: the one entry point, and the only System.exit. The
 * local jar ({@code statewarden-local.jar}) runs the same commands through {@link #run}, with its
 * own {@code local} in place of the server's {@link LocalElsewhere}.
 */
@Command(
    name = "statewarden",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Protocol state machines on Kafka Streams.")
public final class Main {
  /** How {@link #main} ends the JVM; tests of the real entry point read the exit code instead. */
  static IntConsumer exit = System::exit;

  /**
   * Runs one command. Every command writes through the same two writers, over the standard streams
   * as they are now (UTF-8, flushed on each line), and they are flushed again before the JVM exits:
   * what a command prints without a line end (a {@code print}, not a {@code println}) is not lost.
   */
  public static void main(String[] args) {
    run(commandLine(), args);
  }

  /**
   * Runs one command of {@code commandLine} as {@link #main} does, and ends the JVM with its exit
   * code.
   *
   * @param commandLine a command tree from {@link #commandLine(Object)}
   * @param args the command line arguments
   */
  public static void run(CommandLine commandLine, String[] args) {
    // java.util.logging (the Apicurio schema resolver logs with it) through SLF4J to logback
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    PrintWriter err =
        new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    int code;
    try {
      code = commandLine.setOut(out).setErr(err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
    exit.accept(code);
  }

  /** The server's command tree, whose {@code local} only says where {@code local} is. */
  static CommandLine commandLine() {
    return commandLine(LocalElsewhere.class);
  }

  /**
   * The command tree with {@code local} as the given command.
   *
   * @param local the {@code local} command: a {@code @Command(name = "local")} class or instance
   * @return the root command line, ready to {@link #run}
   */
  public static CommandLine commandLine(Object local) {
    CommandLine root = new CommandLine(new Main());
    for (Object sub :
        List.of(
            ProtocolsCommand.class,
            RunCommand.class,
            local,
            ReplayCommand.class,
            SessionCommand.class,
            SessionsCommand.class,
            SchemasCommand.class,
            CommandLine.HelpCommand.class)) {
      root.addSubcommand(sub);
    }
    return root.setCaseInsensitiveEnumValuesAllowed(true)
        .registerConverter(Instant.class, Main::instant)
        .setExecutionExceptionHandler(
            (ex, cl, parsed) -> {
              if (!(ex instanceof CommandFailure f)) {
                throw ex; // a bug: picocli prints it with its stack trace
              }
              cl.getOut().flush();
              cl.getErr().println(f.getMessage());
              cl.getErr().flush();
              return f.exitCode();
            });
  }

  /** picocli's own converter names the Java exception; this one says what is expected. */
  private static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new CommandLine.TypeConversionException(
          "'" + text + "' is not an ISO-8601 instant such as 2026-03-01T09:00:00Z");
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"statewarden " + (v == null ? "dev" : v)};
    }
  }
}
