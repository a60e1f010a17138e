package io.statewarden.cli;

import io.statewarden.app.StartupException;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.ProtocolLoadException;
import io.statewarden.replay.Replayer;
import io.statewarden.replay.Verifier;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code replay}: reprocess the events topic into prefixed outputs; {@code --verify} compares. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Reprocess the events topic under a new application id into output topics with a prefix,",
      "stopping at the end offsets seen on start. With --verify, compare the replayed transitions,",
      "backouts and audit decisions with the live ones (or --compare-prefix), record by record,",
      "ignoring processing-time fields; exit 1 on any difference."
    })
final class ReplayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ConfigOptions settings;

  @Option(
      names = "--output-prefix",
      required = true,
      paramLabel = "PREFIX",
      description = "Prefix of the replay's output topics, e.g. replay1.")
  String prefix;

  @Option(
      names = "--from-timestamp",
      paramLabel = "ISO-8601",
      description = "Start at the first records at or after this time (default: the beginning).")
  Instant fromTimestamp;

  @Option(
      names = "--application-id",
      paramLabel = "ID",
      description = "Default: <application.id>-replay-<prefix>.")
  String applicationId;

  @Option(
      names = "--verify",
      description = "Compare with the live outputs (or --compare-prefix) when done.")
  boolean verify;

  @Option(
      names = "--compare-prefix",
      paramLabel = "PREFIX",
      description = "Compare with the outputs of an earlier replay instead of the live ones.")
  String comparePrefix;

  @Option(
      names = "--idle-timeout-s",
      defaultValue = "120",
      description = "Give up when no record is done for this long.")
  long idleTimeoutS;

  @Option(
      names = "--max-differences",
      defaultValue = "10",
      description = "How many differences to print.")
  int maxDifferences;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (verify && fromTimestamp != null) {
      throw new ParameterException(
          spec.commandLine(),
          "--verify compares whole histories; replay from the beginning (no --from-timestamp) to"
              + " verify");
    }
    if (idleTimeoutS < 1 || maxDifferences < 0) {
      throw new ParameterException(
          spec.commandLine(),
          idleTimeoutS < 1
              ? "Invalid value for option '--idle-timeout-s': expected at least 1, but got "
                  + idleTimeoutS
              : "Invalid value for option '--max-differences': expected at least 0, but got "
                  + maxDifferences);
    }
    StatewardenConfig cfg = settings.loadForCluster();
    String appId =
        applicationId != null
            ? applicationId
            : cfg.kafka().getOrDefault("application.id", "statewarden")
                + "-replay-"
                + prefix.replaceAll("[^A-Za-z0-9._-]", "");
    Replayer.Summary summary;
    try {
      summary =
          new Replayer(cfg, out)
              .replay(
                  prefix,
                  appId,
                  fromTimestamp == null
                      ? Replayer.From.BEGINNING
                      : new Replayer.From(fromTimestamp),
                  Duration.ofSeconds(idleTimeoutS));
    } catch (ProtocolLoadException e) {
      return ProtocolsCommand.problems(spec, e);
    } catch (StartupException e) {
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return e.unreachable() ? 3 : 1;
    }
    out.printf(
        "replay done: %d records in %.1f s into %s*%n",
        summary.records(), summary.took().toMillis() / 1000.0, prefix);
    if (!verify) {
      return 0;
    }
    var expected =
        comparePrefix == null ? cfg.topics() : cfg.topics().withOutputPrefix(comparePrefix);
    Verifier.Report report =
        new Verifier(new HashMap<>(cfg.kafka())).compare(expected, summary.outputs());
    report
        .counts()
        .forEach(
            (kind, n) -> out.printf("verify %-10s expected %d, replayed %d%n", kind, n[0], n[1]));
    if (report.identical()) {
      out.println("verify: identical (processing-time fields ignored)");
      out.flush();
      return 0;
    }
    out.printf(
        "verify: %d differences; the first %d:%n",
        report.differences().size(), Math.min(maxDifferences, report.differences().size()));
    report.differences().stream().limit(maxDifferences).forEach(d -> out.println("  " + d));
    out.flush();
    return 1;
  }
}
