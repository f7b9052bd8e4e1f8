package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code shimmy.supervisor.enabled=false}: the starter fronts a Shimmy it did not start (a fake
 * Shimmy process run by the test), proxies to it, reports its health, and says clearly that it
 * cannot restart it when a pull needs a restart.
 */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = ExternalShimmyEndToEndTest.App.class)
class ExternalShimmyEndToEndTest {

  private static Process externalShimmy;
  private static Path modelDir;
  private static final MockWebServer hubServer = new MockWebServer();

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) throws IOException {
    modelDir = Files.createTempDirectory("shimmy-external");
    FakeShimmy.writeGguf(modelDir.resolve("served-Q4_K_M.gguf"), 64);
    int shimmyPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      shimmyPort = socket.getLocalPort();
    }
    List<String> command = new ArrayList<>(FakeShimmy.command());
    command.addAll(
        List.of("serve", "--bind", "127.0.0.1:" + shimmyPort, "--model-dirs", modelDir.toString()));
    externalShimmy =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    hubServer.setDispatcher(
        FakeHuggingFace.builder()
            .file("acme/new-GGUF", "new-Q4_K_M.gguf", FakeFile.seeded(32 * 1024, 9))
            .build());
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
    registry.add("shimmy.supervisor.enabled", () -> "false");
    registry.add("shimmy.shimmy-url", () -> "http://127.0.0.1:" + shimmyPort);
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.hf-endpoint", () -> hubServer.url("/").toString());
    registry.add("shimmy.ready-timeout", () -> "2s");
    registry.add("management.endpoint.health.show-details", () -> "always");
  }

  @AfterAll
  static void stopExternalShimmy() throws InterruptedException, IOException {
    externalShimmy.destroyForcibly().waitFor();
    hubServer.close();
    try (java.util.stream.Stream<Path> files = Files.walk(modelDir)) {
      for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }

  @Test
  void requestsAreProxiedToTheExternalShimmyAndItsHealthIsReported() throws Exception {
    awaitBackendReady();

    HttpResponse<String> models = get("/v1/models");
    HttpResponse<String> actuator = get("/actuator/health");

    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body()).contains("\"id\":\"served-q4-k-m\"");
    assertThat(actuator.body()).contains("\"shimmy\"", "\"state\":\"ready\"");
  }

  @Test
  void aPullPublishesTheFileButFailsClearlyBecauseTheExternalShimmyCannotBeRestarted()
      throws Exception {
    awaitBackendReady();

    HttpResponse<String> pull =
        http.send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"acme/new-GGUF:Q4_K_M\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(Files.exists(modelDir.resolve("new-Q4_K_M.gguf"))).isTrue();
    String[] lines = pull.body().split("\n");
    assertThat(lines[lines.length - 1])
        .contains("\"status\":\"error\"", "\"code\":\"backend_failed\"", "restart it");
  }

  private void awaitBackendReady() {
    Await.until(
        Duration.ofSeconds(60),
        "the external Shimmy ready",
        () -> {
          try {
            return get("/v1/health").body();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        health -> health.contains("\"state\":\"ready\""));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url(path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}
}
