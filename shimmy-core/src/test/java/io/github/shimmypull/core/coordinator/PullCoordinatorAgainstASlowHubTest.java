package io.github.shimmypull.core.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.doubles.RecordingSupervisor;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator with the real puller while the Hub is slow to answer: a cancel (what {@code
 * DELETE /v1/api/pull} calls) reaches a pull that is still resolving, at once.
 */
@Timeout(60)
class PullCoordinatorAgainstASlowHubTest {

  private static final String REPO = "acme/tiny-GGUF";

  @TempDir Path modelDir;
  MockWebServer hubServer = new MockWebServer();
  PullCoordinator coordinator;

  @AfterEach
  void tearDown() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    hubServer.close();
  }

  @Test
  void cancelStopsAPullThatIsStillResolvingAtOnce() throws Exception {
    FakeHuggingFace hub =
        FakeHuggingFace.builder()
            .file(REPO, "tiny-Q4_K_M.gguf", FakeFile.seeded(1024, 7))
            .metadataDelay(Duration.ofSeconds(40))
            .build();
    hubServer.setDispatcher(hub);
    hubServer.start(InetAddress.getByName("127.0.0.1"), 0);
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
            .supervisor(new RecordingSupervisor())
            .localModels(new ModelDirectory(modelDir))
            .watch(false)
            .build();
    CompletableFuture<PullJob> submit =
        CompletableFuture.supplyAsync(() -> coordinator.submit(ModelRef.parse(REPO), false));
    Await.until(
        "the pull waits for the Hub's file list",
        () -> !hub.requests(r -> r.getUrl().encodedPath().contains("/tree/")).isEmpty());
    PullJob job = coordinator.current().orElseThrow();

    long t0 = System.nanoTime();
    coordinator.cancel(false);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(job.state()).isEqualTo(PullJob.State.CANCELLED);
    assertThatThrownBy(() -> submit.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(coordinator.current()).isEmpty();
  }
}
