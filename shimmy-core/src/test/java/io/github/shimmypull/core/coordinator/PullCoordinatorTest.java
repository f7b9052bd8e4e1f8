package io.github.shimmypull.core.coordinator;

import static io.github.shimmypull.core.doubles.Fixture.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.RecordingSupervisor;
import io.github.shimmypull.core.doubles.ScriptedPuller;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.testkit.Await;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullCoordinatorTest {

  @TempDir Path modelDir;
  Fixture fx;

  @BeforeEach
  void setUp() {
    fx = new Fixture(modelDir);
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static List<String> statuses(List<PullEvent> events) {
    return events.stream().map(PullEvent::status).toList();
  }

  @Test
  void pullPublishesThenRefreshesWarmingOnlyThePulledModelAndLeavesOtherInstancesRunning()
      throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    fx.supervisor.serving(List.of("alpha"));
    PullCoordinator coordinator = fx.coordinator();

    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    PullResult result = job.await(Duration.ofSeconds(30));

    assertThat(result.modelId()).isEqualTo("tiny-q4-k-m");
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).hasSize(ScriptedPuller.FILE_SIZE);
    assertThat(statuses(job.events()))
        .containsExactly(
            "starting",
            "resolving",
            "downloading",
            "verifying",
            "published",
            "discovering",
            "restarting",
            "complete");
    assertThat(fx.supervisor.refreshes()).containsExactly(List.of("tiny-q4-k-m"));
    assertThat(fx.supervisor.running()).containsExactly("alpha", "tiny-q4-k-m");
    assertThat(job.state()).isEqualTo(PullJob.State.COMPLETE);
    assertThat(coordinator.current()).isEmpty();
    assertThat(coordinator.recent()).containsExactly(job);
  }

  @Test
  void secondRequestForTheSameModelAttachesToTheRunningJobWithOneDownload() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    List<PullEvent> first = new CopyOnWriteArrayList<>();
    List<PullEvent> second = new CopyOnWriteArrayList<>();

    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    job.subscribe(first::add);
    fx.puller.awaitHeld();
    PullJob attached = coordinator.submit(ref("acme/tiny"), false);
    attached.subscribe(second::add);
    fx.puller.release();
    job.await(Duration.ofSeconds(30));

    assertThat(attached).isSameAs(job);
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
    assertThat(fx.puller.prepareCalls()).isEqualTo(1);
    Await.until("both subscribers saw the end", () -> second.size() == first.size());
    assertThat(statuses(second))
        .isEqualTo(statuses(first))
        .startsWith("starting")
        .endsWith("complete");
  }

  @Test
  void requestForAnExplicitFileOfTheRunningPullAttachesToo() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();

    PullJob job =
        coordinator.submit(new ModelRef("acme/tiny", null, "tiny-Q4_K_M.gguf", null), false);
    fx.puller.awaitHeld();
    PullJob sameFile =
        coordinator.submit(new ModelRef("acme/tiny", null, "tiny-Q4_K_M.gguf", null), false);

    assertThat(sameFile).isSameAs(job);
  }

  @Test
  void requestWrittenAnotherWayThatResolvesToTheRunningFilesAttaches() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    PullJob defaultTag = coordinator.submit(new ModelRef("acme/tiny", null, null, null), false);

    assertThat(defaultTag).isSameAs(job);
    assertThatThrownBy(
            () -> coordinator.submit(new ModelRef("acme/tiny", "Q8_0", null, null), false))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
    fx.puller.release();
    job.await(Duration.ofSeconds(30));
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
  }

  @Test
  void requestForAnotherModelWhileOneRunsIsRejectedWithConflictNamingTheRunningJob()
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    PullJob running = coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThatThrownBy(() -> coordinator.submit(ref("acme/other"), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.CONFLICT);
              assertThat(e.getMessage()).contains("acme/tiny:Q4_K_M").contains("50%");
              assertThat(e.details().get("running"))
                  .asInstanceOf(MAP)
                  .containsEntry("id", running.id())
                  .containsEntry("model", "acme/tiny:Q4_K_M")
                  .containsEntry("phase", "downloading")
                  .containsEntry("completed", (long) ScriptedPuller.FILE_SIZE / 2);
            });

    fx.puller.release();
    running.await(Duration.ofSeconds(30));
    assertThat(coordinator.submit(ref("acme/other"), false).await(Duration.ofSeconds(30)).modelId())
        .isEqualTo("other-q4-k-m");
  }

  @Test
  void resolutionFailureIsThrownBySubmitAndFreesTheDirectory() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.failPrepare(
        "acme/missing", new PullException(Reason.NOT_FOUND, "repository acme/missing not found"));

    assertThatThrownBy(() -> coordinator.submit(ref("acme/missing"), false))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));

    assertThat(coordinator.current()).isEmpty();
    assertThat(coordinator.recent())
        .singleElement()
        .satisfies(
            j -> {
              assertThat(j.state()).isEqualTo(PullJob.State.FAILED);
              assertThat(j.modelId())
                  .as("no model id without a resolution, and no exception either")
                  .isNull();
              assertThat(WireFormat.job(j))
                  .containsEntry("state", "failed")
                  .containsEntry("model_id", null);
            });
    assertThat(coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30)).modelId())
        .isEqualTo("tiny-q4-k-m");
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
  }

  @Test
  void secondCoordinatorOnTheSameDirectoryGetsConflictWhileTheFirstPulls() throws Exception {
    PullCoordinator first = fx.coordinator();
    PullCoordinator second = fx.coordinator();
    fx.puller.holdDownloads();
    PullJob running = first.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThatThrownBy(() -> second.submit(ref("acme/tiny"), false))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.CONFLICT);
              assertThat(e.getMessage()).contains("another process").contains("acme/tiny:Q4_K_M");
              assertThat(e.details().get("running"))
                  .asInstanceOf(MAP)
                  .containsEntry("model", "acme/tiny:Q4_K_M");
            });

    fx.puller.release();
    running.await(Duration.ofSeconds(30));
    assertThat(second.submit(ref("acme/other"), false).await(Duration.ofSeconds(30)).modelId())
        .isEqualTo("other-q4-k-m");
  }

  @Test
  void lockFileHeldByAnotherJvmGivesConflictUntilThatJvmLetsGo(@TempDir Path scratch)
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    Path source = scratch.resolve("LockHolder.java");
    Files.writeString(
        source,
        """
        import java.nio.ByteBuffer;
        import java.nio.channels.FileChannel;
        import java.nio.file.*;
        public class LockHolder {
          public static void main(String[] args) throws Exception {
            Path lock = Path.of(args[0]);
            Files.createDirectories(lock.getParent());
            try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 var held = channel.lock()) {
              channel.write(ByteBuffer.wrap(("{\\"operation\\":\\"pull\\",\\"model\\":\\"other/repo:Q8_0\\",\\"pid\\":"
                  + ProcessHandle.current().pid() + "}").getBytes()));
              System.out.println("locked");
              System.out.flush();
              System.in.read();
            }
          }
        }
        """);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process holder =
        new ProcessBuilder(
                java, source.toString(), modelDir.resolve(".shimmy-pull/pull.lock").toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");

      assertThatThrownBy(() -> coordinator.submit(ref("acme/tiny"), false))
          .isInstanceOfSatisfying(
              PullException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.CONFLICT);
                assertThat(e.getMessage())
                    .contains("other/repo:Q8_0")
                    .contains("pid " + holder.pid());
              });
      assertThat(fx.puller.prepareCalls()).isZero();
    } finally {
      holder.getOutputStream().close();
      holder.waitFor(30, TimeUnit.SECONDS);
      holder.destroyForcibly();
    }
    assertThat(coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30)).modelId())
        .isEqualTo("tiny-q4-k-m");
  }

  @Test
  void warmFailureEndsTheJobWithAnErrorThatSaysWhyWhileTheOtherModelsAreStillServed()
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.EXITED,
            "shimmy exited before it was ready",
            101,
            List.of("loading tiny-Q4_K_M.gguf", "error: unsupported tensor type"),
            null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.BACKEND);
              assertThat(e.getMessage())
                  .startsWith(
                      "tiny-Q4_K_M.gguf was moved to "
                          + modelDir.resolve(".shimmy-pull/quarantine")
                          + " because Shimmy cannot start with it: Shimmy did not come up")
                  .contains("exit code 101")
                  .contains("error: unsupported tensor type")
                  .contains("still serving [old-model]");
            });
    assertThat(job.state()).isEqualTo(PullJob.State.FAILED);
    assertThat(job.events())
        .last()
        .isInstanceOfSatisfying(
            PullEvent.Failed.class, f -> assertThat(f.reason()).isEqualTo(Reason.BACKEND));
    assertThat(statuses(job.events())).doesNotContain("complete");
  }

  @Test
  void aModelShimmyCannotStartWithIsQuarantinedSoTheNextReconcileDoesNotTripOnIt()
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    Files.write(modelDir.resolve("old-model.gguf"), new byte[] {'G', 'G', 'U', 'F'});
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.EXITED,
            "shimmy exited before it was ready",
            1,
            List.of("Error: bad model"),
            null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30))).isInstanceOf(PullException.class);

    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/quarantine/tiny-Q4_K_M.gguf"))
        .hasSize(ScriptedPuller.FILE_SIZE);
    assertThat(coordinator.localModels()).extracting(m -> m.id()).containsExactly("old-model");
    fx.supervisor.failRefreshes(null);
    assertThat(coordinator.reconcile()).isTrue();
    assertThat(fx.supervisor.models()).extracting(m -> m.id()).containsExactly("old-model");
    assertThat(fx.supervisor.running()).containsExactly("old-model");
  }

  @Test
  void aModelShimmyCannotStartWithIsQuarantinedAlsoWhenItsWarmStartStoppedTheIdleInstanceForRoom()
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    Files.write(modelDir.resolve("old-model.gguf"), new byte[] {'G', 'G', 'U', 'F'});
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRefreshesAfterMakingRoom(
        new SupervisorException(
            SupervisorException.Reason.EXITED,
            "shimmy exited before it was ready",
            1,
            List.of("Error: bad model"),
            null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.getMessage()).contains("was moved to"));
    assertThat(fx.supervisor.running()).as("the idle instance was stopped for room").isEmpty();
    assertThat(modelDir.resolve(".shimmy-pull/quarantine/tiny-Q4_K_M.gguf")).exists();
    assertThat(fx.supervisor.models()).extracting(m -> m.id()).containsExactly("old-model");
  }

  @Test
  void aFailedWarmLeavesTheModelPublishedWhenNoOtherInstanceServesEither() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.inState(BackendStatus.BACKING_OFF, "crashed");
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.EXITED,
            "shimmy exited before it was ready",
            1,
            List.of(),
            null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertFailsWithTheModelLeftPublished(job);
  }

  @Test
  void aWarmTimeoutLeavesTheModelPublishedSinceItSaysNothingAboutTheFile() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRefreshes(
        new SupervisorException(
            SupervisorException.Reason.READY_TIMEOUT,
            "the external Shimmy does not serve [tiny-q4-k-m]",
            null,
            List.of(),
            null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertFailsWithTheModelLeftPublished(job);
  }

  private void assertFailsWithTheModelLeftPublished(PullJob job) {
    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith(
                        "tiny-Q4_K_M.gguf is published in the model directory, but Shimmy did not come up"));
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).hasSize(ScriptedPuller.FILE_SIZE);
    assertThat(modelDir.resolve(".shimmy-pull/quarantine")).doesNotExist();
  }

  @Test
  void cancelKeepsThePartialForALaterResume() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThat(coordinator.cancel(false)).isSameAs(job);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(job.state()).isEqualTo(PullJob.State.CANCELLED);
    assertThat(fx.puller.partial(ref("acme/tiny"))).exists();
    assertThat(fx.supervisor.refreshes()).isEmpty();
    assertThat(coordinator.current()).isEmpty();
  }

  @Test
  void cancelWithDiscardDeletesThePartial() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    coordinator.cancel(true);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30))).isInstanceOf(PullException.class);
    assertThat(fx.puller.partial(ref("acme/tiny"))).doesNotExist();
  }

  @Test
  void cancelWithNothingRunningIsNotFound() {
    PullCoordinator coordinator = fx.coordinator();

    assertThatThrownBy(() -> coordinator.cancel(false))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void deleteRemovesTheFilesAndStopsOnlyThatModelsInstance() throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    Files.write(modelDir.resolve("beta.gguf"), new byte[20]);
    fx.supervisor.serving(List.of("alpha", "beta"));
    PullCoordinator coordinator = fx.coordinator();

    assertThat(coordinator.deleteModel("alpha").files()).containsExactly("alpha.gguf");

    assertThat(modelDir.resolve("alpha.gguf")).doesNotExist();
    assertThat(fx.supervisor.refreshes())
        .as("a refresh with nothing to warm")
        .containsExactly(List.of());
    assertThat(fx.supervisor.running()).containsExactly("beta");
    assertThat(coordinator.localModels()).extracting(m -> m.id()).containsExactly("beta");
  }

  @Test
  void deletingTheLastModelLeavesShimmyIdle() {
    PullCoordinator coordinator = fx.coordinator();
    try {
      Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    fx.supervisor.serving(List.of("alpha"));

    coordinator.deleteModel("alpha");

    assertThat(fx.supervisor.refreshes()).containsExactly(List.of());
    assertThat(fx.supervisor.state().status()).isEqualTo(BackendStatus.IDLE);
  }

  @Test
  void deleteOfAnUnknownModelIsNotFoundAndRefreshesNothing() {
    PullCoordinator coordinator = fx.coordinator();

    assertThatThrownBy(() -> coordinator.deleteModel("nope"))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    assertThat(fx.supervisor.refreshes()).isEmpty();
  }

  @Test
  void deleteWhileAPullRunsIsAConflict() throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThatThrownBy(() -> coordinator.deleteModel("alpha"))
        .isInstanceOfSatisfying(
            PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
    assertThat(modelDir.resolve("alpha.gguf")).exists();
  }

  @Test
  void watcherRefreshesWithNothingToWarmWhenAModelIsCopiedInAndWhenOneVanishes() throws Exception {
    PullCoordinator coordinator =
        fx.track(fx.builder().watch(true).scanInterval(Duration.ofSeconds(30)).build());
    coordinator.start();
    assertThat(fx.supervisor.state().status()).isEqualTo(BackendStatus.IDLE);

    Path staging = Files.createDirectories(modelDir.resolve(".staging"));
    Files.write(staging.resolve("copied.gguf"), new byte[100]);
    Files.move(staging.resolve("copied.gguf"), modelDir.resolve("copied.gguf"));
    Await.until("the supervisor refreshed", () -> fx.supervisor.refreshes().size() == 1);
    assertThat(fx.supervisor.refreshes()).containsExactly(List.of());
    assertThat(fx.supervisor.models()).extracting(m -> m.id()).containsExactly("copied");
    assertThat(fx.supervisor.running()).as("started on demand, not by the watcher").isEmpty();

    Files.delete(modelDir.resolve("copied.gguf"));
    Await.until("the supervisor refreshed again", () -> fx.supervisor.refreshes().size() == 2);
    assertThat(fx.supervisor.refreshes()).containsExactly(List.of(), List.of());
    assertThat(fx.supervisor.models()).isEmpty();
  }

  @Test
  void periodicScanNoticesChangesWithoutFileEvents() throws Exception {
    Files.write(modelDir.resolve("present.gguf"), new byte[10]);
    fx.supervisor.serving(List.of("present"));
    PullCoordinator coordinator = fx.coordinator();

    Files.write(modelDir.resolve("later.gguf"), new byte[10]);
    assertThat(coordinator.reconcile()).isTrue();

    assertThat(fx.supervisor.refreshes()).containsExactly(List.of());
    assertThat(fx.supervisor.models()).extracting(m -> m.id()).containsExactly("later", "present");
    assertThat(fx.supervisor.running())
        .as("the running instance is untouched")
        .containsExactly("present");
  }

  @Test
  void reconcileWaitsWhileAPullRuns() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();
    Files.write(modelDir.resolve("copied.gguf"), new byte[10]);

    assertThat(coordinator.reconcile()).isFalse();
    assertThat(fx.supervisor.refreshes()).isEmpty();
  }

  @Test
  void preloadPullsMissingModelsBeforeShimmyStartsAndReportsFailures() {
    fx.puller.failPrepare("acme/gated", new PullException(Reason.GATED, "acme/gated is gated"));
    PullCoordinator coordinator = fx.coordinator();

    List<PreloadResult> results =
        coordinator.preload(List.of(ref("acme/tiny"), ref("acme/gated"), ref("acme/tiny")));

    assertThat(results).extracting(PreloadResult::succeeded).containsExactly(true, false, true);
    assertThat(results.get(1).error()).extracting(PullException::reason).isEqualTo(Reason.GATED);
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).exists();
    assertThat(results.get(2).result()).extracting(PullResult::downloaded).isEqualTo(false);
    assertThat(fx.supervisor.refreshes()).isEmpty();
    assertThat(fx.supervisor.started()).isFalse();
  }

  @Test
  void rePullOfAModelThatIsPresentAndServableRefreshesNothing() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30));
    assertThat(fx.supervisor.refreshes()).hasSize(1);

    PullJob again = coordinator.submit(ref("acme/tiny"), false);
    PullResult result = again.await(Duration.ofSeconds(30));

    assertThat(result.downloaded()).isFalse();
    assertThat(fx.supervisor.refreshes())
        .as("no second refresh: nothing is replaced or restarted")
        .hasSize(1);
    assertThat(statuses(again.events()))
        .containsExactly("starting", "resolving", "published", "discovering", "complete");
  }

  @Test
  void rePullOfAPresentModelTheSupervisorDoesNotListYetMakesItServable() throws Exception {
    Files.write(modelDir.resolve("tiny-Q4_K_M.gguf"), new byte[ScriptedPuller.FILE_SIZE]);
    RecordingSupervisor blind = new RecordingSupervisor();
    PullCoordinator coordinator = fx.track(fx.builder().supervisor(blind).build());

    PullResult result = coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30));

    assertThat(result.downloaded()).isFalse();
    assertThat(blind.refreshes()).containsExactly(List.of("tiny-q4-k-m"));
  }

  @Test
  void
      requestSpelledAnotherWayWhileTheRunningPullStillResolvesAttachesOnceBothResolveToTheSameFiles()
          throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdPrepares();
    fx.puller.holdDownloads();
    CompletableFuture<PullJob> first = submitInThread(coordinator, ref("acme/tiny"));
    fx.puller.awaitPrepareHeld();

    CompletableFuture<PullJob> withRevision =
        submitInThread(coordinator, ModelRef.parse("hf.co/acme/tiny@main"));
    CompletableFuture<PullJob> otherCase =
        submitInThread(coordinator, ModelRef.parse("ACME/Tiny@main"));
    fx.puller.releasePrepares();

    PullJob job = first.get(30, TimeUnit.SECONDS);
    assertThat(withRevision.get(30, TimeUnit.SECONDS)).isSameAs(job);
    assertThat(otherCase.get(30, TimeUnit.SECONDS)).isSameAs(job);
    fx.puller.release();
    job.await(Duration.ofSeconds(30));
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
  }

  @Test
  void requestForOtherFilesOfTheRepoWhileTheRunningPullResolvesIsAConflictOnceResolved()
      throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdPrepares();
    CompletableFuture<PullJob> first = submitInThread(coordinator, ref("acme/tiny"));
    fx.puller.awaitPrepareHeld();

    CompletableFuture<PullJob> q8 =
        submitInThread(coordinator, ModelRef.parse("hf.co/acme/tiny:Q8_0@main"));
    fx.puller.releasePrepares();

    assertThatThrownBy(() -> q8.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(PullException.class)
        .satisfies(
            e -> assertThat(((PullException) e.getCause()).reason()).isEqualTo(Reason.CONFLICT));
    first.get(30, TimeUnit.SECONDS).await(Duration.ofSeconds(30));
  }

  @Test
  void requestWaitingOnARunningResolutionThatFailsIsSubmittedOnItsOwn() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.failPrepare(
        "acme/tiny", new PullException(Reason.NOT_FOUND, "repository acme/tiny not found"));
    fx.puller.holdPrepares();
    CompletableFuture<PullJob> first = submitInThread(coordinator, ModelRef.parse("acme/tiny@v9"));
    fx.puller.awaitPrepareHeld();
    CompletableFuture<PullJob> second = submitInThread(coordinator, ModelRef.parse("acme/TINY"));

    fx.puller.releasePrepares();

    assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(PullException.class);
    assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
        .as("the same repo fails the same way, on its own resolution, not as a conflict")
        .satisfies(
            e -> assertThat(((PullException) e.getCause()).reason()).isEqualTo(Reason.NOT_FOUND));
    assertThat(fx.puller.prepareCalls()).isEqualTo(2);
  }

  /**
   * Submits on a thread of its own. When the submit would block (on the lock or on the running
   * job's resolution), this returns once the thread is parked, so the caller knows the request
   * reached the coordinator; a submit that fails at once has completed the future by then.
   */
  private static CompletableFuture<PullJob> submitInThread(
      PullCoordinator coordinator, ModelRef ref) throws InterruptedException {
    CompletableFuture<PullJob> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                result.complete(coordinator.submit(ref, false));
              } catch (RuntimeException e) {
                result.completeExceptionally(e);
              }
            },
            "submit " + ref);
    t.setDaemon(true);
    t.start();
    Await.until(
        "the submit of " + ref + " waits or ended",
        () ->
            result.isDone()
                || t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TIMED_WAITING);
    return result;
  }

  @Test
  void metricsCountPullsByOutcomeAndReasonAndLeaveDownloadedBytesToThePuller() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    fx.puller.failPrepare("acme/missing", new PullException(Reason.NOT_FOUND, "missing"));
    PullCoordinator coordinator = fx.track(fx.builder().meterRegistry(registry).build());

    coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30));
    assertThatThrownBy(() -> coordinator.submit(ref("acme/missing"), false))
        .isInstanceOf(PullException.class);

    assertThat(registry.counter("shimmy.pulls", "outcome", "success", "reason", "none").count())
        .isEqualTo(1);
    assertThat(
            registry.counter("shimmy.pulls", "outcome", "failure", "reason", "not_found").count())
        .isEqualTo(1);
    assertThat(registry.find("shimmy.pull.downloaded.bytes").meters())
        .as("bytes are the puller's meter, counted once")
        .isEmpty();
    assertThat(
            registry.counter("shimmy.refreshes", "trigger", "pull", "outcome", "success").count())
        .isEqualTo(1);
    assertThat(registry.get("shimmy.pull.phase.duration").tag("phase", "serve").timer().count())
        .isEqualTo(1);
    assertThat(registry.get("shimmy.backend.state").tag("state", "ready").gauge().value())
        .isEqualTo(1.0);
  }
}
