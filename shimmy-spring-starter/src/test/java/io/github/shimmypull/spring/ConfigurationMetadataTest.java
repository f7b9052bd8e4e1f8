package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.supervisor.ShimmyOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The generated configuration metadata documents every property IDEs will offer. */
class ConfigurationMetadataTest {

  @Test
  void everyPropertyHasADescriptionAndTheDocumentedDefaults() throws IOException {
    Map<String, JsonNode> properties = new HashMap<>();
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).isNotNull();
      for (JsonNode property : JsonMapper.builder().build().readTree(in).path("properties")) {
        properties.put(property.path("name").asString(), property);
      }
    }

    assertThat(properties)
        .containsKeys(
            "shimmy.model-dir",
            "shimmy.shimmy-command",
            "shimmy.hf-endpoint",
            "shimmy.hf-token",
            "shimmy.admin-token",
            "shimmy.restart-mode",
            "shimmy.ready-timeout",
            "shimmy.pull",
            "shimmy.base-path",
            "shimmy.max-body-bytes",
            "shimmy.shimmy-url",
            "shimmy.proxy.enabled",
            "shimmy.supervisor.enabled",
            "management.health.shimmy.enabled");
    assertThat(properties.values())
        .allSatisfy(property -> assertThat(property.path("description").asString()).isNotBlank());
    assertThat(properties.get("shimmy.ready-timeout").path("type").asString())
        .isEqualTo("java.time.Duration");
    assertThat(properties.get("shimmy.ready-timeout").path("defaultValue").asString())
        .isEqualTo("120s");
    assertThat(properties.get("shimmy.max-body-bytes").path("type").asString())
        .isEqualTo("org.springframework.util.unit.DataSize");
    assertThat(properties.get("shimmy.max-body-bytes").path("defaultValue").asString())
        .isEqualTo("32MB");
    assertThat(properties.get("shimmy.restart-mode").path("defaultValue").asString())
        .isEqualTo("blue-green");
  }

  @Test
  void theDefaultsShownToIdesAreTheOnesOfShimmyOptions() throws IOException {
    // The defaults live in ShimmyOptions; the metadata repeats them for IDEs, so this keeps them
    // equal.
    Map<String, Object> shown = new HashMap<>();
    try (InputStream in =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      for (JsonNode property : JsonMapper.builder().build().readTree(in).path("properties")) {
        String name = property.path("name").asString();
        if (name.startsWith("shimmy.") && property.has("defaultValue")) {
          shown.put(name, property.path("defaultValue").asString());
        }
      }
    }

    ShimmyProperties bound =
        new Binder(new MapConfigurationPropertySource(shown))
            .bind("shimmy", ShimmyProperties.class)
            .get();

    assertThat(shown)
        .containsKeys(
            "shimmy.ready-timeout", "shimmy.keep-alive", "shimmy.max-queue", "shimmy.model-dir");
    assertThat(bound.toOptions())
        .usingRecursiveComparison()
        .ignoringFields("modelDir")
        .isEqualTo(ShimmyOptions.defaults());
    // Spring's Path conversion drops the leading "./".
    assertThat(bound.getModelDir().normalize())
        .isEqualTo(ShimmyOptions.DEFAULT_MODEL_DIR.normalize());
  }
}
