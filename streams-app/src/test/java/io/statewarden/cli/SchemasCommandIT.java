package io.statewarden.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.statewarden.cli.Cli.Run;
import io.statewarden.testsupport.KafkaInfra;
import io.statewarden.testsupport.RealKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code schemas publish} through the real entry point against a real registry: it publishes the
 * contract, a second run changes nothing, and a schema the registry's BACKWARD rule refuses is
 * refused with the registry's reason.
 */
@ExtendWith(RealKafka.class)
class SchemasCommandIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** {@code schemas publish} for artifact ids no other test uses: {@code <p>events-value}, ... */
  static String[] publish(KafkaInfra infra, String p) {
    return new String[] {
      "schemas",
      "publish",
      "-D",
      "apicurio.registry.url=" + infra.registryUrl(),
      "-D",
      "statewarden.topic.events=" + p + "events",
      "-D",
      "statewarden.topic.transitions=" + p + "transitions",
      "-D",
      "statewarden.topic.backouts=" + p + "backouts",
      "-D",
      "statewarden.topic.audit=" + p + "audit"
    };
  }

  @Test
  void shouldPublishTheContractOnceAndChangeNothingTheSecondTime(KafkaInfra infra)
      throws Exception {
    // given names nobody has published under
    String p = infra.uniqueName("schemas") + ".";
    String printed =
        List.of("events", "transitions", "backouts", "audit").stream()
            .map(t -> "default/" + p + t + "-value: version 1, compatibility BACKWARD\n")
            .reduce("", String::concat);

    // when it runs twice
    Run first = Cli.main(publish(infra, p)).assertNoStackTrace();
    Run second = Cli.main(publish(infra, p)).assertNoStackTrace();

    // then both print the same versions, and each artifact has one version and its rule
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.out()).isEqualTo(printed);
    assertThat(second.exit()).as(second.all()).isZero();
    assertThat(second.out()).isEqualTo(printed);
    for (String t : List.of("events", "transitions", "backouts", "audit")) {
      String artifact = p + t + "-value";
      assertThat(JSON.readTree(get(infra, artifact, "/versions").body()).path("count").asInt())
          .as(artifact)
          .isEqualTo(1);
      assertThat(JSON.readTree(get(infra, artifact, "/rules/COMPATIBILITY").body()).path("config"))
          .hasToString("\"BACKWARD\"");
    }
  }

  @Test
  void shouldRefuseAnIncompatibleSchemaWithTheRegistrysReason(KafkaInfra infra) throws Exception {
    // given a transitions artifact whose latest schema statewarden's Transition cannot read:
    // data written with it lacks the fields Transition requires
    String p = infra.uniqueName("schemas") + ".";
    String artifact = p + "transitions-value";
    ObjectNode body = JSON.createObjectNode();
    body.put("artifactId", artifact);
    body.put("artifactType", "AVRO");
    ObjectNode content = body.putObject("firstVersion").putObject("content");
    content.put(
        "content",
        "{\"type\":\"record\",\"name\":\"Transition\",\"namespace\":\"io.statewarden.schema\","
            + "\"fields\":[{\"name\":\"legacy\",\"type\":\"string\"}]}");
    content.put("contentType", "application/json");
    HttpResponse<String> created =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(infra.registryUrl() + "/groups/default/artifacts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);

    // when
    Run r = Cli.main(publish(infra, p)).assertNoStackTrace();

    // then it is refused with the registry's reason, in one line, and nothing was added
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("statewarden: the schema registry at " + infra.registryUrl() + " answered 409")
        .contains(artifact)
        .containsIgnoringCase("incompatible")
        .hasLineCount(1);
    assertThat(JSON.readTree(get(infra, artifact, "/versions").body()).path("count").asInt())
        .isEqualTo(1);
    assertThat(JSON.readTree(get(infra, artifact, "/rules/COMPATIBILITY").body()).path("config"))
        .hasToString("\"BACKWARD\"");
  }

  static HttpResponse<String> get(KafkaInfra infra, String artifact, String suffix)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(
                URI.create(infra.registryUrl() + "/groups/default/artifacts/" + artifact + suffix))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
