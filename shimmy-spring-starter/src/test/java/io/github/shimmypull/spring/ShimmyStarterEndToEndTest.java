package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.ShimmyModelIds;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.HubFault;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The starter in a real Spring Boot application on Tomcat, with the fake Hugging Face Hub and the
 * fake Shimmy as a real child process: the same endpoints, NDJSON and status codes as the Javalin
 * server.
 */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = ShimmyStarterEndToEndTest.App.class)
class ShimmyStarterEndToEndTest {

  private static final String TINY_REPO = "acme/tiny-GGUF";
  private static final String TINY_FILE = "tiny-Q4_K_M.gguf";
  private static final String SLOW_REPO = "acme/slow-GGUF";
  private static final String SLOW_FILE = "slow-Q4_K_M.gguf";
  private static final String ADMIN_TOKEN = "s3cret";

  @TempDir static Path modelDir;
  private static final MockWebServer hubServer = new MockWebServer();
  private static final FakeHuggingFace hub =
      FakeHuggingFace.builder()
          .file(TINY_REPO, TINY_FILE, FakeFile.seeded(256 * 1024, 1))
          .file(SLOW_REPO, SLOW_FILE, FakeFile.seeded(2 * 1024 * 1024, 2))
          .build();

  @LocalServerPort int port;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) throws IOException {
    hubServer.setDispatcher(hub);
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.shimmy-command", FakeShimmy::commandLine);
    registry.add("shimmy.hf-endpoint", () -> hubServer.url("/").toString());
    registry.add("shimmy.ready-timeout", () -> "90s");
    registry.add("shimmy.admin-token", () -> ADMIN_TOKEN);
    registry.add("management.endpoint.health.show-details", () -> "always");
  }

  @AfterAll
  static void stopHub() {
    hubServer.close();
  }

  @Test
  void aPullStreamsNdjsonUntilShimmyServesTheModelAndTheProxyThenAnswersWithIt() throws Exception {
    HttpResponse<InputStream> response = postPull("{\"model\":\"" + TINY_REPO + ":Q4_K_M\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
    List<String> lines = readLines(response.body());
    String modelId = ShimmyModelIds.idForFile(TINY_FILE);
    assertThat(lines.get(0)).contains("\"status\":\"starting\"");
    assertThat(lines).anySatisfy(line -> assertThat(line).contains("\"status\":\"downloading\""));
    assertThat(lines.get(lines.size() - 1))
        .contains(
            "\"status\":\"complete\"", "\"model_id\":\"" + modelId + "\"", "\"discovered\":true");

    HttpResponse<String> models = get("/v1/models");
    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body()).contains("\"id\":\"" + modelId + "\"");

    HttpResponse<String> chat =
        http.send(
            HttpRequest.newBuilder(url("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\""
                            + modelId
                            + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(chat.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).contains("text/event-stream"));
    assertThat(chat.body()).contains("data: ", "Hello", "[DONE]");
  }

  @Test
  void aPullOfAnotherModelWhileOneRunsIsAConflictNamingTheRunningJob() throws Exception {
    hub.inject(SLOW_REPO, SLOW_FILE, HubFault.stallAfter(64 * 1024), 1);
    HttpResponse<InputStream> slow =
        postPull("{\"model\":\"" + SLOW_REPO + "\",\"filename\":\"" + SLOW_FILE + "\"}");
    assertThat(slow.statusCode()).isEqualTo(200);
    BufferedReader slowLines =
        new BufferedReader(new InputStreamReader(slow.body(), StandardCharsets.UTF_8));
    assertThat(slowLines.readLine()).contains("\"status\":\"starting\"");
    CompletableFuture<List<String>> rest =
        CompletableFuture.supplyAsync(() -> readLines(slowLines));

    HttpResponse<String> conflict =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"model\":\"" + TINY_REPO + ":Q4_K_M\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(conflict.statusCode()).isEqualTo(409);
    assertThat(conflict.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertThat(conflict.body()).contains("\"code\":\"pull_in_progress\"", SLOW_REPO);

    HttpResponse<String> cancel =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(cancel.statusCode()).isEqualTo(200);
    List<String> ending = rest.get(60, TimeUnit.SECONDS);
    assertThat(ending.get(ending.size() - 1))
        .contains("\"status\":\"error\"", "\"code\":\"cancelled\"");
  }

  @Test
  void badInputGetsTheSameJsonErrorsAsTheServerJar() throws Exception {
    HttpResponse<String> notJson =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> badRef =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"../etc\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(notJson.statusCode()).isEqualTo(415);
    assertThat(notJson.body()).contains("\"code\":\"unsupported_media_type\"");
    assertThat(badRef.statusCode()).isEqualTo(400);
    assertThat(badRef.body()).contains("\"code\":\"invalid_request\"");
  }

  @Test
  void mutatingEndpointsNeedTheAdminToken() throws Exception {
    HttpResponse<String> anonymous =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"model\":\"" + TINY_REPO + ":Q4_K_M\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> reading = get("/v1/api/pull");

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.body()).contains("\"code\":\"unauthorized\"");
    assertThat(reading.statusCode()).isEqualTo(200);
  }

  @Test
  void healthReportsTheBackendOnTheApiAndOnActuator() throws Exception {
    HttpResponse<String> health = get("/v1/health");
    HttpResponse<String> actuator = get("/actuator/health");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"backend\"", "\"state\"", "\"model_dir\"");
    assertThat(actuator.statusCode()).isEqualTo(200);
    assertThat(actuator.body()).contains("\"shimmy\"", "\"state\"");
  }

  @Test
  void theApplicationsOwnControllerStillAnswers() throws Exception {
    HttpResponse<String> own = get("/hello");

    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body()).isEqualTo("hello from the application");
  }

  private HttpResponse<InputStream> postPull(String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url("/v1/api/pull"))
            .header("Authorization", "Bearer " + ADMIN_TOKEN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofInputStream());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static List<String> readLines(InputStream body) {
    return readLines(new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)));
  }

  private static List<String> readLines(BufferedReader reader) {
    List<String> lines = new ArrayList<>();
    try (reader) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return lines;
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @RestController
    static class OwnController {
      @GetMapping("/hello")
      String hello() {
        return "hello from the application";
      }
    }
  }
}
