package io.github.shimmypull.examples.springai;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.ShimmyServer;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example application, unchanged but for the base URL, against shimmy-pull's server (started in
 * this JVM with the fake Hub and the fake Shimmy): starting the application pulls the model of
 * application.properties by its {@code hf.co/...} name, and {@code GET /ask} answers from it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringAiExampleApplicationTest {

  @TempDir static Path modelDir;
  private static final MockWebServer hub = new MockWebServer();
  private static ShimmyServer shimmyPull;

  @LocalServerPort int port;

  @DynamicPropertySource
  static void pointTheOllamaStarterAtShimmyPull(DynamicPropertyRegistry registry)
      throws IOException {
    byte[] gguf = new byte[64 * 1024];
    System.arraycopy("GGUF".getBytes(StandardCharsets.US_ASCII), 0, gguf, 0, 4);
    gguf[4] = 3;
    hub.setDispatcher(
        FakeHuggingFace.builder()
            .file(
                "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF",
                "tinyllama-1.1b-chat-v1.0.Q2_K.gguf",
                FakeFile.of(gguf))
            .build());
    hub.start(InetAddress.getByName("127.0.0.1"), 0);
    String endpoint = hub.url("/").toString();
    shimmyPull =
        ShimmyServer.start(
            Map.of(),
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--model-dir",
            modelDir.toString(),
            "--shimmy-command",
            FakeShimmy.commandLine(),
            "--hf-endpoint",
            endpoint.substring(0, endpoint.length() - 1));
    registry.add("spring.ai.ollama.base-url", () -> "http://127.0.0.1:" + shimmyPull.port());
  }

  @AfterAll
  static void stop() {
    shimmyPull.close();
    hub.close();
  }

  @Test
  void theApplicationStartsByPullingItsModelAndAnswersFromIt() throws Exception {
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + port
                                + "/ask?q="
                                + URLEncoder.encode("Say hello", StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

    assertThat(modelDir.resolve("tinyllama-1.1b-chat-v1.0.Q2_K.gguf")).exists();
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("Hello from tinyllama-1.1b-chat-v1.0.q2-k");
  }
}
