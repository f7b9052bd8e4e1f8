package io.github.shimmypull.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.doubles.JdkHttpServer;
import io.github.shimmypull.core.doubles.RecordingProxy;
import io.github.shimmypull.core.doubles.RecordingSupervisor;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull API end to end with the real Hugging Face puller against the fake Hub of shimmy-testkit.
 */
class PullApiWithHuggingFacePullerTest {

  private static final String REPO = "acme/tiny-GGUF";
  private static final String FILE = "tiny-Q4_K_M.gguf";

  @TempDir Path modelDir;
  MockWebServer hubServer = new MockWebServer();
  FakeHuggingFace hub;
  RecordingSupervisor supervisor;
  PullCoordinator coordinator;
  JdkHttpServer server;
  HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void setUp() throws Exception {
    supervisor = new RecordingSupervisor(modelDir);
    hub =
        FakeHuggingFace.builder()
            .file(REPO, FILE, FakeFile.seeded(256 * 1024, 7))
            .file(REPO, "tiny-Q8_0.gguf", FakeFile.seeded(64 * 1024, 8))
            .gated("acme/gated-GGUF")
            .file("acme/gated-GGUF", FILE, FakeFile.seeded(1024, 9))
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
            .stallTimeout(Duration.ofSeconds(20))
            .progressInterval(Duration.ofMillis(5))
            .build();
    coordinator =
        PullCoordinator.builder()
            .modelDir(modelDir)
            .puller(puller)
            .discovery(new ScanDiscoveryRunner())
            .supervisor(supervisor)
            .localModels(new ModelDirectory(modelDir))
            .watch(false)
            .build();
    server =
        JdkHttpServer.start(
            ShimmyHttpApi.builder().coordinator(coordinator).proxy(new RecordingProxy()).build());
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    coordinator.close();
    hubServer.close();
  }

  private HttpResponse<String> pull(String json) throws Exception {
    return client.send(
        HttpRequest.newBuilder(server.uri("/v1/api/pull"))
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString(json))
            .build(),
        BodyHandlers.ofString());
  }

  @Test
  void pullDownloadsVerifiesPublishesAndCompletesWithTheHubsCommitAndHash() throws Exception {
    HttpResponse<String> response = pull("{\"model\":\"hf.co/" + REPO + ":q4_k_m\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    List<Map<String, Object>> lines = response.body().lines().map(Json::readObject).toList();
    assertThat(lines)
        .extracting(m -> m.get("status"))
        .startsWith("starting", "resolving", "downloading")
        .contains("verifying", "discovering", "restarting")
        .last()
        .isEqualTo("complete");
    Map<String, Object> complete = lines.get(lines.size() - 1);
    assertThat(complete)
        .containsEntry("model_id", "tiny-q4-k-m")
        .containsEntry("file", FILE)
        .containsEntry("sha256", hub.sha256(REPO, FILE))
        .containsEntry("revision", hub.head(REPO))
        .containsEntry("discovered", true);
    assertThat(modelDir.resolve(FILE)).hasSize(256 * 1024);
    assertThat(supervisor.refreshes()).containsExactly(List.of("tiny-q4-k-m"));

    String models =
        client
            .send(
                HttpRequest.newBuilder(server.uri("/v1/api/models")).build(),
                BodyHandlers.ofString())
            .body();
    assertThat(models)
        .contains("\"repo\":\"" + REPO + "\"")
        .contains("\"commit\":\"" + hub.head(REPO) + "\"");
  }

  @Test
  void secondPullOfAPresentModelDownloadsNothing() throws Exception {
    pull("{\"model\":\"" + REPO + ":Q4_K_M\",\"stream\":false}");
    hub.clearRequests();

    HttpResponse<String> again = pull("{\"model\":\"" + REPO + ":Q4_K_M\",\"stream\":false}");

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(Json.readObject(again.body()))
        .containsEntry("downloaded", false)
        .containsEntry("discovered", true);
    assertThat(hub.cdnDownloads()).isEmpty();
    assertThat(supervisor.refreshes())
        .as("nothing is replaced for a model already served")
        .hasSize(1);
  }

  @Test
  void hubFailuresAnswerTheirStatusBeforeAnyStream() throws Exception {
    HttpResponse<String> missing = pull("{\"model\":\"acme/nothing-GGUF:Q4_K_M\"}");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(Json.readObject(missing.body())).containsEntry("code", "not_found");

    HttpResponse<String> gated = pull("{\"model\":\"acme/gated-GGUF:Q4_K_M\"}");
    assertThat(gated.statusCode()).isEqualTo(403);
    assertThat(Json.readObject(gated.body())).containsEntry("code", "gated_repo");

    HttpResponse<String> noSuchTag = pull("{\"model\":\"" + REPO + ":IQ1_S\"}");
    assertThat(noSuchTag.statusCode()).isEqualTo(404);
    assertThat(noSuchTag.body()).contains(FILE);

    assertThat(coordinator.current()).isEmpty();
    assertThat(supervisor.refreshes()).isEmpty();
  }

  @Test
  void cancelWithDiscardStopsAStalledDownloadAndDeletesItsPartial() throws Exception {
    hub.inject(REPO, FILE, HubFault.stallAfter(64 * 1024), 1);
    CompletableFuture<HttpResponse<String>> stream =
        client.sendAsync(
            HttpRequest.newBuilder(server.uri("/v1/api/pull"))
                .header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString("{\"model\":\"" + REPO + ":Q4_K_M\"}"))
                .build(),
            BodyHandlers.ofString());
    Await.until(
        "the download has bytes on disk",
        () -> coordinator.current().map(j -> j.progress().completed() > 0).orElse(false));

    HttpResponse<String> cancelled =
        client.send(
            HttpRequest.newBuilder(server.uri("/v1/api/pull?discard=true")).DELETE().build(),
            BodyHandlers.ofString());

    assertThat(cancelled.statusCode()).isEqualTo(200);
    assertThat(Json.readObject(cancelled.body())).containsEntry("cancelled", true);
    List<String> lines = stream.get().body().lines().toList();
    assertThat(Json.readObject(lines.get(lines.size() - 1)))
        .containsEntry("status", "error")
        .containsEntry("code", "cancelled");
    try (Stream<Path> state = Files.list(modelDir.resolve(".shimmy-pull"))) {
      assertThat(state.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(FILE + ".part"));
    }
    assertThat(modelDir.resolve(FILE)).doesNotExist();
  }
}
