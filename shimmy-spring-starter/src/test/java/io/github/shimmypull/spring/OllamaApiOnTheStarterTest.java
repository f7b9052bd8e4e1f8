package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import io.github.shimmypull.testkit.GgufHeader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

/** Ollama's API on the Spring starter, answered the same as on the server jar. */
@DirtiesContext
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    classes = OllamaApiOnTheStarterTest.App.class)
class OllamaApiOnTheStarterTest {

  private static final String REPO = "acme/tiny-GGUF";
  private static final String NAME = "hf.co/" + REPO + ":Q4_K_M";
  private static final String ADMIN_TOKEN = "s3cret";

  @TempDir static Path modelDir;
  private static final MockWebServer hubServer = new MockWebServer();
  private static final FakeHuggingFace hub =
      FakeHuggingFace.builder()
          .file(
              REPO,
              "tiny-Q4_K_M.gguf",
              FakeFile.gguf(
                  GgufHeader.builder()
                      .string("general.architecture", "llama")
                      .uint32("general.file_type", 15)
                      .build(),
                  64 * 1024,
                  1))
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
  }

  @AfterAll
  static void stopHub() {
    hubServer.close();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(90))
            .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  @Test
  void anOllamaClientWithTheAdminTokenPullsListsChatsAndDeletes() throws Exception {
    assertThat(send("GET", "/api/tags", null).body()).isEqualTo("{\"models\":[]}");
    HttpResponse<String> anonymous = send("POST", "/api/pull", "{\"model\":\"" + NAME + "\"}");
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.body()).startsWith("{\"error\":");

    HttpResponse<String> pull =
        send(
            "POST",
            "/api/pull",
            "{\"model\":\"" + NAME + "\"}",
            "Authorization",
            "Bearer " + ADMIN_TOKEN);
    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(pull.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/x-ndjson"));
    List<String> lines = pull.body().lines().toList();
    assertThat(lines.get(0)).isEqualTo("{\"status\":\"pulling manifest\"}");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("{\"status\":\"success\"}");

    assertThat(send("GET", "/api/tags", null).body())
        .contains(
            "\"name\":\"" + NAME + "\"",
            "\"family\":\"llama\"",
            "\"quantization_level\":\"Q4_K_M\"");

    HttpResponse<String> chat =
        send(
            "POST",
            "/api/chat",
            "{\"model\":\""
                + NAME
                + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(chat.body())
        .contains("\"done\":true", "\"done_reason\":\"stop\"", "\"role\":\"assistant\"");

    HttpResponse<String> delete =
        send(
            "DELETE",
            "/api/delete",
            "{\"model\":\"" + NAME + "\"}",
            "Authorization",
            "Bearer " + ADMIN_TOKEN);
    assertThat(delete.statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/tags", null).body()).isEqualTo("{\"models\":[]}");
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}
}
