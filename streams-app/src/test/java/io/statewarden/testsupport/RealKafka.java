package io.statewarden.testsupport;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension giving integration tests a real Kafka broker and a real Apicurio Registry.
 *
 * <p>Both start once per test JVM, on first use, and stop when the whole run ends: they live in the
 * root context's store, so every test class shares them. Declare a {@link KafkaInfra} parameter on
 * a test method, constructor or lifecycle method to get them:
 *
 * <pre>{@code
 * @ExtendWith(RealKafka.class)
 * class MyIT {
 *   @Test
 *   void works(KafkaInfra infra) {
 *     String topic = infra.uniqueName("events");
 *     infra.createTopics(Map.of(topic, 3));
 *   }
 * }
 * }</pre>
 *
 * <p>The broker is {@link io.statewarden.embedded.EmbeddedKafka} and the registry {@link
 * io.statewarden.embedded.EmbeddedRegistry} by default; with {@code
 * -Dstatewarden.kafka=testcontainers} both are Testcontainers containers (needs Docker; images
 * {@code -Dstatewarden.kafka.image}, {@code -Dstatewarden.registry.image}, see {@code
 * docs/testing-with-statewarden.md}).
 */
public final class RealKafka implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RealKafka.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    infra(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaInfra.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return infra(context);
  }

  private static KafkaInfra infra(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(SharedInfra.class, key -> SharedInfra.start(), SharedInfra.class)
        .infra();
  }
}
