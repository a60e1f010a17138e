package io.statewarden.cli;

import io.statewarden.config.StatewardenConfig;
import io.statewarden.registry.RegistryAuth;
import io.statewarden.registry.SchemaPublisher;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code schemas}: the record contract in the schema registry. */
@Command(
    name = "schemas",
    mixinStandardHelpOptions = true,
    description = "The record schemas (the published contract) in the schema registry.",
    subcommands = {SchemasCommand.Publish.class})
final class SchemasCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(
      name = "publish",
      mixinStandardHelpOptions = true,
      description = {
        "Register ProtocolEvent, Transition, Backout and AuditRecord as the artifacts",
        "<topic>-value (group default) with compatibility BACKWARD; idempotent.",
        "For registries where the processor may not write: run this with write rights in a",
        "deploy step, and run the processor with statewarden.schemas.publish=false.",
        "Exit status: 0 published, 1 refused (rights, an incompatible schema), 3 no answer."
      })
  static final class Publish implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ConfigOptions settings;

    @Option(
        names = "--output-prefix",
        paramLabel = "P",
        description =
            "Publish for replay --output-prefix P: the output artifacts get the prefix, as the"
                + " replay's topics do.")
    String prefix;

    @Override
    public Integer call() {
      StatewardenConfig cfg = settings.load();
      String url = cfg.registryUrl();
      var missing =
          cfg.missingClusterSettings().stream()
              .filter(m -> m.startsWith("apicurio.registry.url"))
              .toList();
      if (!missing.isEmpty()) {
        throw new CommandFailure(1, "statewarden: " + missing.get(0));
      }
      PrintWriter out = spec.commandLine().getOut();
      Map<String, String> versions;
      try {
        versions =
            new SchemaPublisher(
                    url,
                    cfg.kafka(),
                    Duration.ofMillis(cfg.getLong(StatewardenConfig.STARTUP_TIMEOUT_MS)))
                .publish(prefix == null ? cfg.topics() : cfg.topics().withOutputPrefix(prefix));
      } catch (SchemaPublisher.Unreachable e) {
        throw new CommandFailure(3, "statewarden: " + e.getMessage(), e);
      } catch (SchemaPublisher.Refused e) {
        throw new CommandFailure(1, "statewarden: " + e.getMessage(), e);
      } catch (RegistryAuth.Failed e) {
        // the token endpoint refused, or the client credentials are incomplete
        throw new CommandFailure(1, "statewarden: " + e.getMessage(), e);
      }
      versions.forEach(
          (artifact, version) ->
              out.printf(
                  "%s/%s: version %s, compatibility %s%n",
                  SchemaPublisher.GROUP, artifact, version, SchemaPublisher.COMPATIBILITY));
      out.flush();
      return 0;
    }
  }
}
