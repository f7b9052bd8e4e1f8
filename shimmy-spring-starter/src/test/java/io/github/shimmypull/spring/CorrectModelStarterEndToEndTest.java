package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeShimmy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a real Spring Boot application with three models and room for two: requests
 * alternating between the models (chat with stream on, off and absent, completions, api/generate)
 * are each answered by the model they name, although the fake Shimmy pins the first model it loads.
 */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = CorrectModelStarterEndToEndTest.App.class)
class CorrectModelStarterEndToEndTest {

  private static final List<String> MODELS = List.of("alpha", "beta", "gamma");

  @TempDir static Path modelDir;

  @LocalServerPort int port;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) {
    for (String model : MODELS) {
      FakeShimmy.writeGguf(modelDir.resolve(model + ".gguf"));
    }
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.shimmy-command", FakeShimmy::commandLine);
    registry.add("shimmy.ready-timeout", () -> "90s");
    registry.add("shimmy.max-loaded-models", () -> "2");
  }

  @Test
  void alternatingRequestsAreAnsweredByTheModelTheyName() throws Exception {
    String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    for (int round = 0; round < 2; round++) {
      for (String model : MODELS) {
        answeredBy(
            model,
            post(
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\"," + messages + ",\"stream\":false}"));
        answeredBy(
            model,
            post(
                "/v1/chat/completions",
                "{\"model\":\"" + model + "\"," + messages + ",\"stream\":true}"));
        answeredBy(
            model, post("/v1/chat/completions", "{\"model\":\"" + model + "\"," + messages + "}"));
        answeredBy(
            model, post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"hi\"}"));
        answeredBy(
            model,
            post(
                "/api/generate",
                "{\"model\":\"" + model + "\",\"prompt\":\"hi\",\"stream\":false}"));
      }
    }
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The fake generates {@code Hello from <pinned id>}: the model's own id, and no other's. */
  private static void answeredBy(String model, HttpResponse<String> reply) {
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
    assertThat(reply.body()).as("answered by " + model).contains(" " + model);
    for (String other : MODELS) {
      if (!other.equals(model)) {
        assertThat(reply.body())
            .as("a request for " + model + " answered by " + other)
            .doesNotContain(other);
      }
    }
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}
}
