package io.statewarden.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.statewarden.registry.RegistryClientSettings;
import io.statewarden.schema.ProtocolEvent;
import io.statewarden.testsupport.Deployment;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The registry credentials of statewarden's serde settings reach the Apicurio client as statewarden
 * configures it ({@link RegistryClientSettings#withDefaults}: the Vert.x adapter on statewarden's
 * own Vert.x instance): with a token endpoint and client credentials, the client gets a token there
 * before it talks to the registry. The registry here does not check tokens (a registry that does
 * needs an OIDC issuer, which these tests do not run; docs/security.md says what is tested).
 */
@ExtendWith(RealKafka.class)
class RegistryCredentialsIT {
  @Test
  void shouldFetchATokenWithTheClientCredentialsBeforeRegisteringASchema(KafkaInfra infra)
      throws Exception {
    // given: an OIDC token endpoint that records what it is asked
    List<String> asked = new CopyOnWriteArrayList<>();
    HttpServer issuer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    issuer.createContext(
        "/token",
        x -> {
          // the client may send its id and secret in the form or as HTTP Basic: record both
          String basic = x.getRequestHeaders().getFirst("Authorization");
          asked.add(
              new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
                  + " "
                  + (basic == null || !basic.startsWith("Basic ")
                      ? ""
                      : new String(
                          java.util.Base64.getDecoder().decode(basic.substring(6)),
                          StandardCharsets.UTF_8)));
          byte[] body =
              "{\"access_token\":\"tok-1\",\"token_type\":\"Bearer\",\"expires_in\":300}"
                  .getBytes(StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/json");
          x.sendResponseHeaders(200, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    issuer.start();
    try {
      Map<String, Object> serde = new HashMap<>(infra.clientConfig());
      serde.put("apicurio.registry.auto-register", "true");
      serde.put(
          "apicurio.registry.auth.service.token.endpoint",
          "http://127.0.0.1:" + issuer.getAddress().getPort() + "/token");
      serde.put("apicurio.registry.auth.client.id", "statewarden");
      serde.put("apicurio.registry.auth.client.secret", "s3cret");

      // when: a serializer configured the way statewarden configures its serdes writes a record
      try (AvroKafkaSerializer<ProtocolEvent> ser = new AvroKafkaSerializer<>()) {
        ser.configure(RegistryClientSettings.withDefaults(serde), false);
        byte[] bytes =
            ser.serialize(
                infra.uniqueName("creds"), Deployment.event("s", "e", "p", "T", Map.of()));

        // then: it got a token with the client credentials, and the registry answered
        assertThat(bytes).isNotEmpty();
      }
      assertThat(asked).isNotEmpty();
      assertThat(asked.get(0))
          .contains("grant_type=client_credentials")
          .contains("statewarden")
          .contains("s3cret");
    } finally {
      issuer.stop(0);
    }
  }
}
