package io.statewarden;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;

/**
 * The shape of the server's code (docs/architecture.md draws it): which package may use which, what
 * the pure core may not touch, and where the process environment is read. Main classes only: tests
 * may reach into anything.
 */
@AnalyzeClasses(
    packages = "io.statewarden",
    importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.ServerOnly.class})
class ArchitectureTest {
  /**
   * The server module's classes (and the generated schema records), not the embedded or local
   * modules' that its tests have on the class path: they have rules of their own.
   */
  static final class ServerOnly implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("/embedded/target/")
          && !location.contains("/local/target/")
          && !location.contains("statewarden-embedded")
          && !location.contains("statewarden-local");
    }
  }

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("io.statewarden.(*)..").should().beFreeOfCycles();

  /**
   * Top to bottom: the entry points ({@code cli}, the local module's {@code local}), the
   * composition root ({@code app}), the adapters ({@code api}, {@code replay}, {@code topology},
   * {@code registry}, {@code metrics}, {@code state}, {@code json}, {@code sim}), and the pure core
   * ({@code engine}, {@code protocol}). {@code config} and the generated {@code schema} records are
   * used from every layer above the core.
   */
  @ArchTest
  static final ArchRule layers =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .withOptionalLayers(true)
          .layer("cli")
          .definedBy("io.statewarden.cli..")
          .layer("local")
          .definedBy("io.statewarden.local..")
          .layer("app")
          .definedBy("io.statewarden.app..")
          .layer("replay")
          .definedBy("io.statewarden.replay..")
          .layer("api")
          .definedBy("io.statewarden.api..")
          .layer("topology")
          .definedBy("io.statewarden.topology..")
          .layer("registry")
          .definedBy("io.statewarden.registry..")
          .layer("metrics")
          .definedBy("io.statewarden.metrics..")
          .layer("state")
          .definedBy("io.statewarden.state..")
          .layer("json")
          .definedBy("io.statewarden.json..")
          .layer("sim")
          .definedBy("io.statewarden.sim..")
          .layer("config")
          .definedBy("io.statewarden.config..")
          .layer("schema")
          .definedBy("io.statewarden.schema..")
          .layer("engine")
          .definedBy("io.statewarden.engine..")
          .layer("protocol")
          .definedBy("io.statewarden.protocol..")
          .whereLayer("cli")
          .mayOnlyBeAccessedByLayers("local")
          .whereLayer("local")
          .mayNotBeAccessedByAnyLayer()
          .whereLayer("app")
          .mayOnlyBeAccessedByLayers("cli", "local", "replay")
          .whereLayer("replay")
          .mayOnlyBeAccessedByLayers("cli")
          .whereLayer("api")
          .mayOnlyBeAccessedByLayers("app")
          .whereLayer("topology")
          .mayOnlyBeAccessedByLayers("cli", "local", "app", "replay", "api")
          .whereLayer("metrics")
          .mayOnlyBeAccessedByLayers("app", "api", "topology")
          .whereLayer("state")
          .mayOnlyBeAccessedByLayers("app", "api", "topology", "metrics")
          .whereLayer("sim")
          .mayOnlyBeAccessedByLayers("cli")
          .whereLayer("json")
          .mayOnlyBeAccessedByLayers("cli", "topology", "sim")
          .whereLayer("engine")
          .mayOnlyAccessLayers("protocol")
          .whereLayer("protocol")
          .mayNotAccessAnyLayer();

  /** The rules and the engine run in a test, a replay and a simulation alike: no I/O stack. */
  @ArchTest
  static final ArchRule coreIsPure =
      noClasses()
          .that()
          .resideInAnyPackage("io.statewarden.engine..", "io.statewarden.protocol..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.apache.kafka..",
              "org.apache.avro..",
              "io.apicurio..",
              "io.vertx..",
              "io.netty..",
              "java.net.http..",
              "com.sun.net.httpserver..",
              "io.prometheus..",
              "org.rocksdb..");

  /**
   * The developer tooling (embedded broker and registry, demo traffic) is for {@code local} only;
   * the server artifact does not even carry it (the enforcer and {@code ServerJarIT} check the
   * jar).
   */
  @ArchTest
  static final ArchRule localToolingOnlyInLocal =
      noClasses()
          .that()
          .resideOutsideOfPackages("io.statewarden.local..", "io.statewarden.cli..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "io.statewarden.embedded..",
              "io.statewarden.local..",
              "kafka..",
              "scala..",
              "org.apache.kafka.server..",
              "org.apache.kafka.metadata..",
              "org.apache.kafka.raft..",
              "org.apache.kafka.storage..");

  private static final Set<String> ENVIRONMENT_READS =
      Set.of(
          "java.lang.System.getenv",
          "java.lang.System.getProperty",
          "java.lang.System.getProperties",
          "java.lang.System.setProperty",
          "java.lang.System.setProperties",
          "java.lang.System.clearProperty",
          "java.lang.Integer.getInteger",
          "java.lang.Long.getLong",
          "java.lang.Boolean.getBoolean");

  /** Settings come in through {@code config} ({@code Environment}, {@code StatewardenConfig}). */
  @ArchTest
  static final ArchRule environmentOnlyInConfig =
      noClasses()
          .that()
          .resideOutsideOfPackage("io.statewarden.config..")
          .should()
          .callMethodWhere(
              DescribedPredicate.describe(
                  "it reads or sets environment variables or system properties",
                  (JavaCall<?> call) ->
                      ENVIRONMENT_READS.contains(
                          call.getTarget().getOwner().getName() + "." + call.getName())));
}
