package io.github.shimmypull.examples.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.examples.javalin.JavalinExampleApp.AppBehindEdge;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import io.javalin.Javalin;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavalinExampleAppTest {

  @TempDir Path modelDir;
  // HTTP/1.1: the JDK client's default h2c upgrade would make the edge hand every request to the
  // app.
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void theOwnRouteAndAProxiedRouteBothAnswerAfterAPull() throws Exception {
    try (MockWebServer hub = new MockWebServer()) {
      hub.setDispatcher(
          FakeHuggingFace.builder()
              .file("acme/tiny-GGUF", "tiny-Q4_K_M.gguf", FakeFile.seeded(64 * 1024, 5))
              .build());
      hub.start(InetAddress.getByName("127.0.0.1"), 0);
      Javalin app =
          JavalinExampleApp.create(modelDir, FakeShimmy.commandLine(), hub.url("/").toString());
      try {
        app.start("127.0.0.1", 0);
        String base = "http://127.0.0.1:" + app.port();

        HttpResponse<String> hello =
            send(HttpRequest.newBuilder(URI.create(base + "/hello")).build());
        HttpResponse<String> pull =
            send(
                HttpRequest.newBuilder(URI.create(base + "/v1/api/pull"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"acme/tiny-GGUF:Q4_K_M\",\"stream\":false}"))
                    .build());
        HttpResponse<String> models =
            send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build());

        assertThat(hello.body()).isEqualTo("hello from the application");
        assertThat(pull.statusCode()).isEqualTo(200);
        assertThat(pull.body()).contains("\"model_id\":\"tiny-q4-k-m\"");
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(models.body()).contains("\"id\":\"tiny-q4-k-m\"");
      } finally {
        app.stop();
      }
    }
  }

  @Test
  void anEdgeInFrontKeepsTheAppsOwnRoutesAndProxiesTheRestToShimmy() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    try (AppBehindEdge running =
        JavalinExampleApp.startBehindEdge(
            modelDir, FakeShimmy.commandLine(), null, "127.0.0.1", 0)) {
      String base = running.edge().url();
      awaitBackendReady(base);

      HttpResponse<String> hello =
          send(HttpRequest.newBuilder(URI.create(base + "/hello")).build());
      HttpResponse<String> health =
          send(HttpRequest.newBuilder(URI.create(base + "/v1/health")).build());
      HttpResponse<String> models =
          send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build());

      assertThat(running.edge().port()).isNotEqualTo(running.app().port());
      assertThat(hello.statusCode()).isEqualTo(200);
      assertThat(hello.body()).isEqualTo("hello from the application");
      assertThat(health.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
      assertThat(health.body()).contains("\"state\":\"ready\"");
      assertThat(models.statusCode()).isEqualTo(200);
      assertThat(models.body()).contains("\"id\":\"phi-2.q4-k-m\"");
    }
  }

  private void awaitBackendReady(String base) {
    Await.until(
        Duration.ofSeconds(60),
        "Shimmy ready",
        () -> {
          try {
            return send(HttpRequest.newBuilder(URI.create(base + "/v1/health")).build()).body();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        health -> health.contains("\"state\":\"ready\""));
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
