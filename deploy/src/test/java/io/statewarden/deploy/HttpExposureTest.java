package io.statewarden.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.statewarden.config.StatewardenConfig;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/**
 * Every way statewarden is deployed binds the HTTP API beyond loopback, so each must pass the start
 * check {@link StatewardenConfig#checkHttpExposure}: a token (here always from a file, a Secret) or
 * an explicit {@code statewarden.http.allow-anonymous}. The image alone has neither and is refused.
 */
class HttpExposureTest {
  /** The {@code STATEWARDEN_*} variables the Dockerfile sets (not its comments), with values. */
  static Map<String, String> image() throws Exception {
    Map<String, String> env = new HashMap<>();
    Pattern variable = Pattern.compile("\\b(STATEWARDEN_[A-Z0-9_]+)=(\\S+)");
    for (String line : Files.readAllLines(Manifests.ROOT.resolve("deploy/Dockerfile"))) {
      if (line.strip().startsWith("#")) continue;
      Matcher m = variable.matcher(line);
      while (m.find()) env.put(m.group(1), m.group(2));
    }
    return env;
  }

  static StatewardenConfig config(Map<String, String> env) {
    return new StatewardenConfig(StatewardenConfig.fromEnvironment(env));
  }

  @Test
  void shouldRefuseTheImageAloneItBindsAllInterfacesWithoutAToken() throws Exception {
    Map<String, String> image = image();
    assertThat(image).containsEntry("STATEWARDEN_HTTP_HOST", "0.0.0.0");
    assertThatThrownBy(() -> config(image).checkHttpExposure())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(StatewardenConfig.HTTP_ALLOW_ANONYMOUS);
  }

  @Test
  void shouldStartTheComposeServiceWithItsTokenSecret() throws Exception {
    JsonNode service =
        Manifests.YAML
            .readTree(Manifests.ROOT.resolve("deploy/compose.yaml").toFile())
            .path("services")
            .path("statewarden");
    Map<String, String> env = image();
    service
        .path("environment")
        .properties()
        .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    assertThat(env).containsEntry("STATEWARDEN_HTTP_HOST", "0.0.0.0");
    assertThatCode(() -> config(env).checkHttpExposure()).doesNotThrowAnyException();
    // the file is a compose secret
    String file = env.get("STATEWARDEN_HTTP_TOKEN_FILE");
    assertThat(service.path("secrets").toString()).contains("http_token");
    assertThat(file).isEqualTo("/run/secrets/http_token");
  }

  @Test
  void shouldStartEveryKubernetesInstanceWithItsTokenSecret() throws Exception {
    int checked = 0;
    for (Manifests.Doc d : Manifests.all()) {
      if (!d.kind().equals("apps/v1/StatefulSet")) continue;
      JsonNode pod = d.tree().path("spec").path("template").path("spec");
      for (JsonNode c : pod.path("containers")) {
        if (!c.path("image").asText().startsWith("statewarden:")) continue;
        Map<String, String> env = image();
        for (JsonNode e : c.path("env")) {
          env.put(e.path("name").asText(), e.path("value").asText("from " + e.path("valueFrom")));
        }
        assertThatCode(() -> config(env).checkHttpExposure())
            .as(d.toString())
            .doesNotThrowAnyException();
        // the token file is a mounted Secret
        String file = env.get("STATEWARDEN_HTTP_TOKEN_FILE");
        assertThat(file).as(d.toString()).isNotNull();
        String mount = null;
        for (JsonNode m : c.path("volumeMounts")) {
          if (file.startsWith(m.path("mountPath").asText() + "/")) mount = m.path("name").asText();
        }
        assertThat(mount).as("%s: a volume mounted above %s", d, file).isNotNull();
        boolean secret = false;
        for (JsonNode v : pod.path("volumes")) {
          if (v.path("name").asText().equals(mount)) secret = v.has("secret");
        }
        assertThat(secret).as("%s: volume %s is a Secret", d, mount).isTrue();
        checked++;
      }
    }
    assertThat(checked).isPositive();
  }
}
