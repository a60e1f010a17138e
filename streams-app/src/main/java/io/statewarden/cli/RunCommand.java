package io.statewarden.cli;

import io.statewarden.app.StartupException;
import io.statewarden.app.StatewardenApp;
import io.statewarden.config.StatewardenConfig;
import io.statewarden.protocol.ProtocolLoadException;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code run}: the processor against a configured cluster and registry. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run the processor against a configured Kafka cluster and Apicurio Registry.",
      "Settings: --config FILE (properties), then STATEWARDEN_* environment variables, then -D key=value.",
      "Every Kafka Streams, client and serde setting passes through.",
      "Exit status: 0 stopped, 1 a setting or definition is wrong, 2 bad arguments,",
      "3 Kafka or the schema registry did not answer (docs/operations.md)."
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ConfigOptions settings;

  @Override
  public Integer call() throws Exception {
    StatewardenConfig cfg = settings.loadForCluster();
    try (StatewardenApp app = StatewardenApp.start(cfg)) {
      Runtime.getRuntime().addShutdownHook(new Thread(app::close, "statewarden-shutdown"));
      spec.commandLine().getOut().printf("statewarden running; HTTP on port %d%n", app.httpPort());
      spec.commandLine().getOut().flush();
      app.awaitClose();
      return 0;
    } catch (ProtocolLoadException e) {
      return ProtocolsCommand.problems(spec, e);
    } catch (StartupException e) {
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return e.unreachable() ? 3 : 1;
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("statewarden: " + e.getMessage());
      return 1;
    }
  }
}
