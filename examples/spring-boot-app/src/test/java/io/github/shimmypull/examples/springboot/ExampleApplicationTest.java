package io.github.shimmypull.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example application against the fake Hub and the fake Shimmy, configured only through
 * shimmy.* properties.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExampleApplicationTest {

  @TempDir static Path modelDir;
  private static final MockWebServer hubServer = new MockWebServer();

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();

  @DynamicPropertySource
  static void shimmy(DynamicPropertyRegistry registry) throws IOException {
    hubServer.setDispatcher(
        FakeHuggingFace.builder()
            .file("acme/tiny-GGUF", "tiny-Q4_K_M.gguf", FakeFile.seeded(64 * 1024, 3))
            .build());
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
    registry.add("shimmy.model-dir", () -> modelDir.toString());
    registry.add("shimmy.shimmy-command", FakeShimmy::commandLine);
    registry.add("shimmy.hf-endpoint", () -> hubServer.url("/").toString());
  }

  @AfterAll
  static void stopHub() {
    hubServer.close();
  }

  @Test
  void ownEndpointPullAndProxiedModelListAllAnswer() throws Exception {
    HttpResponse<String> hello = send(HttpRequest.newBuilder(url("/hello")).build());
    HttpResponse<String> pull =
        send(
            HttpRequest.newBuilder(url("/v1/api/pull"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"acme/tiny-GGUF:Q4_K_M\",\"stream\":false}"))
                .build());
    HttpResponse<String> models = send(HttpRequest.newBuilder(url("/v1/models")).build());

    assertThat(hello.body()).contains("hello from the application");
    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(pull.body()).contains("\"status\":\"complete\"", "\"model_id\":\"tiny-q4-k-m\"");
    assertThat(models.statusCode()).isEqualTo(200);
    assertThat(models.body()).contains("\"id\":\"tiny-q4-k-m\"");
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}
