package io.github.shimmypull.core.ollama;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.RecordingProxy;
import io.github.shimmypull.core.doubles.RecordingSupervisor;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.GgufHeader;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/pull} by {@code hf.co/...} name end to end: the real puller against the fake Hub. */
class OllamaPullWithHuggingFacePullerTest {

  private static final String REPO = "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF";
  private static final String FILE = "tinyllama-1.1b-chat-v1.0.Q2_K.gguf";
  private static final String NAME = "hf.co/" + REPO + ":Q2_K";

  @TempDir Path modelDir;
  MockWebServer hubServer = new MockWebServer();
  FakeHuggingFace hub;
  RecordingSupervisor supervisor = new RecordingSupervisor();
  PullCoordinator coordinator;
  JdkHttpServer server;
  HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    byte[] header =
        GgufHeader.builder()
            .string("general.architecture", "llama")
            .uint64("general.parameter_count", 1_100_048_384L)
            .uint32("general.file_type", 10)
            .uint32("llama.context_length", 2048)
            .string("tokenizer.chat_template", "<|user|>\n{{ content }}</s>")
            .build();
    hub =
        FakeHuggingFace.builder()
            .file(REPO, FILE, FakeFile.gguf(header, 128 * 1024, 3))
            .file(REPO, "tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf", FakeFile.seeded(64 * 1024, 4))
            .build();
    hubServer.setDispatcher(hub);
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
    HuggingFacePuller puller =
        HuggingFacePuller.builder()
            .modelDir(modelDir)
            .endpoint(hubServer.url("/").toString())
            .parts(1)
            .diskReserveBytes(0)
            .maxAttempts(2)
            .initialBackoff(Duration.ofMillis(10))
            .progressInterval(Duration.ofMillis(5))
            .build();
    coordinator = coordinator(puller);
    server =
        JdkHttpServer.start(
            ShimmyHttpApi.builder().coordinator(coordinator).proxy(new RecordingProxy()).build());
  }

  private PullCoordinator coordinator(HuggingFacePuller puller) {
    return PullCoordinator.builder()
        .modelDir(modelDir)
        .puller(puller)
        .discovery(new ScanDiscoveryRunner())
        .supervisor(supervisor)
        .localModels(new ModelDirectory(modelDir))
        .watch(false)
        .build();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    coordinator.close();
    hubServer.close();
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return client.send(
        HttpRequest.newBuilder(server.uri(path)).POST(BodyPublishers.ofString(json)).build(),
        BodyHandlers.ofString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void pullByHfCoNameStreamsOllamaProgressWithTheHubsDigestAndListsTheModelWithHeaderDetails()
      throws Exception {
    HttpResponse<String> response = post("/api/pull", "{\"model\":\"" + NAME + "\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<Map<String, Object>> lines = response.body().lines().map(Json::readObject).toList();
    String sha256 = hub.sha256(REPO, FILE);
    assertThat(lines.get(0)).isEqualTo(Map.of("status", "pulling manifest"));
    assertThat(lines)
        .filteredOn(m -> m.containsKey("digest"))
        .isNotEmpty()
        .allSatisfy(
            m ->
                assertThat(m)
                    .containsEntry("status", "pulling " + sha256.substring(0, 12))
                    .containsEntry("digest", "sha256:" + sha256)
                    .containsEntry("total", 128 * 1024));
    assertThat(lines)
        .filteredOn(m -> m.containsKey("digest"))
        .last()
        .satisfies(m -> assertThat(m).containsEntry("completed", 128 * 1024));
    assertThat(lines)
        .extracting(m -> m.get("status"))
        .endsWith("verifying sha256 digest", "writing manifest", "success");

    Map<String, Object> tags =
        Json.readObject(
            client
                .send(
                    HttpRequest.newBuilder(server.uri("/api/tags")).build(),
                    BodyHandlers.ofString())
                .body());
    List<Map<String, Object>> models = (List<Map<String, Object>>) tags.get("models");
    assertThat(models)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m)
                  .containsEntry("name", NAME)
                  .containsEntry("digest", sha256)
                  .containsEntry("size", 128 * 1024);
              assertThat((Map<String, Object>) m.get("details"))
                  .containsEntry("format", "gguf")
                  .containsEntry("family", "llama")
                  .containsEntry("parameter_size", "1.1B")
                  .containsEntry("quantization_level", "Q2_K");
            });

    Map<String, Object> show =
        Json.readObject(post("/api/show", "{\"model\":\"" + NAME.toLowerCase() + "\"}").body());
    assertThat(show).containsEntry("template", "<|user|>\n{{ content }}</s>");
    assertThat((Map<String, Object>) show.get("model_info"))
        .containsEntry("llama.context_length", 2048);
  }

  @Test
  void aModelPulledByOurOwnApiIsListedByRepoAndQuant() throws Exception {
    HttpResponse<String> response =
        post("/v1/api/pull", "{\"model\":\"" + REPO + ":Q2_K\",\"stream\":false}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

    String tags =
        client
            .send(HttpRequest.newBuilder(server.uri("/api/tags")).build(), BodyHandlers.ofString())
            .body();

    assertThat(tags).contains("\"name\":\"hf.co/" + REPO + ":Q2_K\"");
    assertThat(post("/api/show", "{\"model\":\"tinyllama-1.1b-chat-v1.0.q2-k\"}").statusCode())
        .isEqualTo(200);
  }

  @Test
  void aTagThatMatchesNothingIs404WithTheAvailableFilesBeforeAnyStream() throws Exception {
    HttpResponse<String> response = post("/api/pull", "{\"model\":\"hf.co/" + REPO + ":IQ1_S\"}");

    assertThat(response.statusCode()).isEqualTo(404);
    Map<String, Object> body = Json.readObject(response.body());
    assertThat(body.get("error").toString()).contains(FILE);
  }
}
