package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.coordinator.PullJob;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.FakeShimmy;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockWebServer;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull → serve flow with real parts only: the Hugging Face puller against the fake Hub, the
 * process supervisor running the fake Shimmy as a child process, and the coordinator between them.
 */
class CoordinatorWithProcessSupervisorTest {

  private static final String REPO = "acme/tiny-GGUF";

  @TempDir Path modelDir;
  @TempDir Path staging;
  MockWebServer hubServer = new MockWebServer();
  ProcessShimmySupervisor supervisor;
  PullCoordinator coordinator;

  @BeforeEach
  void setUp() throws Exception {
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .file(REPO, "tiny-Q4_K_M.gguf", FakeFile.seeded(128 * 1024, 3))
            .build();
    hubServer.setDispatcher(hub);
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
    supervisor = SupervisorFixture.builder(modelDir, Map.of()).build();
    coordinator =
        PullCoordinator.builder()
            .modelDir(modelDir)
            .puller(
                HuggingFacePuller.builder()
                    .modelDir(modelDir)
                    .endpoint(hubServer.url("/").toString())
                    .diskReserveBytes(0)
                    .build())
            .discovery(new ScanDiscoveryRunner())
            .supervisor(supervisor)
            .localModels(new ModelDirectory(modelDir))
            .readyTimeout(Duration.ofSeconds(60))
            .watchDebounce(Duration.ofMillis(200))
            .scanInterval(Duration.ofSeconds(1))
            .build();
  }

  @AfterEach
  void tearDown() throws Exception {
    coordinator.close();
    hubServer.close();
  }

  private List<String> liveModels(String model) throws Exception {
    try (Lease lease = supervisor.acquire(model, Duration.ofSeconds(60));
        Response response =
            SupervisorFixture.HTTP
                .newCall(new Request.Builder().url(lease.baseUrl() + "/v1/models").build())
                .execute()) {
      return List.of(response.body().string());
    }
  }

  @Test
  void pullIntoAnEmptyDirectoryStartsShimmyAndCompletesOnceTheModelIsServed() throws Exception {
    coordinator.start();
    assertThat(SupervisorFixture.awaitStatus(supervisor, BackendStatus.IDLE).models()).isEmpty();

    PullJob job = coordinator.submit(ModelRef.parse(REPO + ":Q4_K_M"), false);
    PullResult result = job.await(Duration.ofSeconds(90));

    assertThat(result.modelId()).isEqualTo("tiny-q4-k-m");
    assertThat(job.events())
        .extracting(PullEvent::status)
        .endsWith("discovering", "restarting", "complete");
    assertThat(supervisor.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(supervisor.state().models()).containsExactly("tiny-q4-k-m");
    assertThat(liveModels("tiny-q4-k-m")).singleElement().asString().contains("\"tiny-q4-k-m\"");
  }

  @Test
  void modelCopiedInByOtherMeansIsServedAndADeletedOneIsDropped() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("first.gguf"));
    coordinator.start();
    assertThat(supervisor.state().models()).containsExactly("first");
    assertThat(liveModels("first")).singleElement().asString().contains("\"first\"");
    long first = supervisor.state().pid();

    FakeShimmy.writeGguf(staging.resolve("second.gguf"));
    Files.move(staging.resolve("second.gguf"), modelDir.resolve("second.gguf"));
    SupervisorFixture.awaitState(
        supervisor, s -> s.models().contains("second"), Duration.ofSeconds(90));
    assertThat(supervisor.state().pid()).as("the running instance is untouched").isEqualTo(first);
    assertThat(liveModels("second"))
        .singleElement()
        .asString()
        .contains("\"second\"")
        .doesNotContain("\"first\"");

    coordinator.deleteModel("first");
    assertThat(supervisor.state().models()).containsExactly("second");
    assertThat(modelDir.resolve("first.gguf")).doesNotExist();
    assertThat(supervisor.instances())
        .noneMatch(i -> i.model().equals("first") && i.status() == BackendStatus.READY);
  }
}
