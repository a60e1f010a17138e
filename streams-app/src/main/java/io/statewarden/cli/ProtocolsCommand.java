package io.statewarden.cli;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.MermaidDiagram;
import io.statewarden.protocol.Problem;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.protocol.TextFiles;
import io.statewarden.sim.Scenario;
import io.statewarden.sim.Simulator;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code protocols list | validate | diagram | simulate}: everything that works without Kafka; and
 * {@code protocols migrate}, which asks a running statewarden ({@link MigrateCommand}).
 */
@Command(
    name = "protocols",
    mixinStandardHelpOptions = true,
    description =
        "List, validate, draw and simulate protocol definitions; migrate running sessions to"
            + " another version.",
    subcommands = {
      ProtocolsCommand.ListCmd.class,
      ProtocolsCommand.Validate.class,
      ProtocolsCommand.Diagram.class,
      ProtocolsCommand.Simulate.class,
      MigrateCommand.class
    })
final class ProtocolsCommand {

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "The built-in protocols (and any in --protocols), with versions.")
  static final class ListCmd implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--protocols",
        paramLabel = "DIR",
        description = "More definitions (a directory or files).")
    List<Path> protocols = new ArrayList<>();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        for (Protocol p : ProtocolCatalog.load(protocols).all()) {
          out.printf(
              "%-20s v%-3d %-3d states  %s%n",
              p.name(),
              p.version(),
              p.states().size(),
              p.description() == null ? "" : p.description());
        }
        return 0;
      } catch (ProtocolLoadException e) {
        return problems(spec, e);
      }
    }
  }

  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description = "Exit 0 when every FILE is valid; else one line per problem.")
  static final class Validate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        arity = "1..*",
        paramLabel = "FILE",
        description = "Definition files or built-in names.")
    List<String> files;

    @Override
    public Integer call() {
      List<Problem> problems = new ArrayList<>();
      ProtocolCatalog seen = new ProtocolCatalog();
      for (String f : files) {
        try {
          Protocol p = ProtocolCatalog.resolve(f);
          seen.add(p);
          spec.commandLine()
              .getOut()
              .println(f + ": ok (" + p.id() + ", " + p.states().size() + " states)");
        } catch (ProtocolLoadException e) {
          problems.addAll(e.problems());
        }
      }
      return problems.isEmpty() ? 0 : problems(spec, new ProtocolLoadException(problems));
    }
  }

  @Command(
      name = "diagram",
      mixinStandardHelpOptions = true,
      description = "The protocol as a Mermaid stateDiagram-v2 on stdout.")
  static final class Diagram implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A definition file or a built-in name.")
    String file;

    @Override
    public Integer call() {
      try {
        PrintWriter out = spec.commandLine().getOut();
        out.print(MermaidDiagram.render(ProtocolCatalog.resolve(file)));
        out.flush(); // print, unlike println, does not flush an auto-flushing writer
        return 0;
      } catch (ProtocolLoadException e) {
        return problems(spec, e);
      }
    }
  }

  @Command(
      name = "simulate",
      mixinStandardHelpOptions = true,
      description = {
        "Run the engine alone (no Kafka) over a scenario; print what the processor would publish,",
        "one JSON object per line. With no FILE, the built-in protocols are loaded."
      })
  static final class Simulate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
        arity = "0..*",
        paramLabel = "FILE",
        description = "Definition files or built-in names.")
    List<String> files = new ArrayList<>();

    @Option(
        names = "--events",
        required = true,
        paramLabel = "SCENARIO.jsonl",
        description = "Scenario file, or - for stdin.")
    String events;

    @Option(
        names = "--history-limit",
        defaultValue = "64",
        paramLabel = "N",
        description = "States kept per session (at least 1; default ${DEFAULT-VALUE}).")
    int historyLimit;

    @Override
    public Integer call() {
      if (historyLimit < 1) {
        throw new ParameterException(
            spec.commandLine(),
            "Invalid value for option '--history-limit': expected at least 1, but got "
                + historyLimit);
      }
      ProtocolCatalog catalog;
      try {
        catalog = new ProtocolCatalog();
        if (files.isEmpty()) {
          catalog = ProtocolCatalog.builtins();
        }
        for (String f : files) {
          catalog.add(ProtocolCatalog.resolve(f));
        }
      } catch (ProtocolLoadException e) {
        return problems(spec, e);
      }
      Simulator sim =
          new Simulator(new Engine(catalog, EngineConfig.DEFAULTS.withHistoryLimit(historyLimit)));
      boolean stdin = "-".equals(events);
      Path path = stdin ? null : argumentPath(events);
      try (InputStream file = stdin ? null : Files.newInputStream(path)) {
        Scenario.run(sim, stdin ? "<stdin>" : events, stdin ? System.in : file, out());
        return 0;
      } catch (Scenario.ScenarioException e) {
        throw new CommandFailure(2, e.getMessage());
      } catch (IOException e) {
        throw new CommandFailure(2, events + ": " + TextFiles.describe(path, e));
      }
    }

    private PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  /** A path given on the command line; one that cannot be a path is a usage error. */
  static Path argumentPath(String arg) {
    try {
      return Path.of(arg);
    } catch (InvalidPathException e) {
      throw new CommandFailure(2, arg + ": not a valid path (" + e.getReason() + ")");
    }
  }

  static int problems(CommandSpec spec, ProtocolLoadException e) {
    e.problems().forEach(p -> spec.commandLine().getErr().println(p));
    return 1;
  }
}
