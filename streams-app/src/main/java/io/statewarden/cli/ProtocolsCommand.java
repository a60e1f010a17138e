package io.statewarden.cli;

import io.statewarden.engine.Engine;
import io.statewarden.engine.EngineConfig;
import io.statewarden.protocol.MermaidDiagram;
import io.statewarden.protocol.Problem;
import io.statewarden.protocol.Protocol;
import io.statewarden.protocol.ProtocolCatalog;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.sim.Scenario;
import io.statewarden.sim.Simulator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code protocols list | validate | diagram | simulate}: everything that works without Kafka. */
@Command(
    name = "protocols",
    mixinStandardHelpOptions = true,
    description = "List, validate, draw and simulate protocol definitions.",
    subcommands = {
      ProtocolsCommand.ListCmd.class,
      ProtocolsCommand.Validate.class,
      ProtocolsCommand.Diagram.class,
      ProtocolsCommand.Simulate.class
    })
final class ProtocolsCommand {

  @Command(
      name = "list",
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

  @Command(name = "diagram", description = "The protocol as a Mermaid stateDiagram-v2 on stdout.")
  static final class Diagram implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A definition file or a built-in name.")
    String file;

    @Override
    public Integer call() {
      try {
        spec.commandLine().getOut().print(MermaidDiagram.render(ProtocolCatalog.resolve(file)));
        return 0;
      } catch (ProtocolLoadException e) {
        return problems(spec, e);
      }
    }
  }

  @Command(
      name = "simulate",
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
        description = "States kept per session.")
    int historyLimit;

    @Override
    public Integer call() throws IOException {
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
      try (BufferedReader in =
          "-".equals(events)
              ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
              : Files.newBufferedReader(Path.of(events), StandardCharsets.UTF_8)) {
        Scenario.run(sim, events, in, spec.commandLine().getOut());
        return 0;
      } catch (Scenario.ScenarioException e) {
        spec.commandLine().getOut().flush();
        spec.commandLine().getErr().println(e.getMessage());
        return 2;
      } catch (java.nio.file.NoSuchFileException e) {
        spec.commandLine().getErr().println(events + ": no such file");
        return 2;
      }
    }
  }

  static int problems(CommandSpec spec, ProtocolLoadException e) {
    e.problems().forEach(p -> spec.commandLine().getErr().println(p));
    return 1;
  }
}
