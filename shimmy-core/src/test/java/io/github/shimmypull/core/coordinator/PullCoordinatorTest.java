package io.github.shimmypull.core.coordinator;

import static io.github.shimmypull.core.doubles.Eventually.eventually;
import static io.github.shimmypull.core.doubles.Fixture.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.doubles.Fixture;
import io.github.shimmypull.core.doubles.ScriptedPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
  void pullPublishesRestartsShimmyAndCompletesOnceTheLiveInstanceServesTheModel() throws Exception {
    PullCoordinator coordinator = fx.coordinator();

    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    PullResult result = job.await(Duration.ofSeconds(30));

    assertThat(result.modelId()).isEqualTo("tiny-q4-k-m");
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).hasSize(ScriptedPuller.FILE_SIZE);
    assertThat(statuses(job.events()))
        .containsExactly("starting", "resolving", "downloading", "verifying", "published", "discovering", "restarting", "complete");
    assertThat(fx.supervisor.restarts()).containsExactly(List.of("tiny-q4-k-m"));
    assertThat(fx.supervisor.state().models()).contains("tiny-q4-k-m");
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
    eventually("both subscribers saw the end", () -> second.size() == first.size());
    assertThat(statuses(second)).isEqualTo(statuses(first)).startsWith("starting").endsWith("complete");
  }

  @Test
  void requestForAnExplicitFileOfTheRunningPullAttachesToo() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();

    PullJob job = coordinator.submit(new ModelRef("acme/tiny", null, "tiny-Q4_K_M.gguf", null), false);
    fx.puller.awaitHeld();
    PullJob sameFile = coordinator.submit(new ModelRef("acme/tiny", null, "tiny-Q4_K_M.gguf", null), false);

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
    assertThatThrownBy(() -> coordinator.submit(new ModelRef("acme/tiny", "Q8_0", null, null), false))
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
    fx.puller.release();
    job.await(Duration.ofSeconds(30));
    assertThat(fx.puller.pullCalls()).isEqualTo(1);
  }

  @Test
  void requestForAnotherModelWhileOneRunsIsRejectedWithConflictNamingTheRunningJob() throws Exception {
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
    fx.puller.failPrepare("acme/missing", new PullException(Reason.NOT_FOUND, "repository acme/missing not found"));

    assertThatThrownBy(() -> coordinator.submit(ref("acme/missing"), false))
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));

    assertThat(coordinator.current()).isEmpty();
    assertThat(coordinator.recent()).singleElement().satisfies(j -> assertThat(j.state()).isEqualTo(PullJob.State.FAILED));
    assertThat(coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30)).modelId()).isEqualTo("tiny-q4-k-m");
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
              assertThat(e.details().get("running")).asInstanceOf(MAP).containsEntry("model", "acme/tiny:Q4_K_M");
            });

    fx.puller.release();
    running.await(Duration.ofSeconds(30));
    assertThat(second.submit(ref("acme/other"), false).await(Duration.ofSeconds(30)).modelId()).isEqualTo("other-q4-k-m");
  }

  @Test
  void lockFileHeldByAnotherJvmGivesConflictUntilThatJvmLetsGo(@TempDir Path scratch) throws Exception {
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
        new ProcessBuilder(java, source.toString(), modelDir.resolve(".shimmy-pull/pull.lock").toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("locked");

      assertThatThrownBy(() -> coordinator.submit(ref("acme/tiny"), false))
          .isInstanceOfSatisfying(
              PullException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.CONFLICT);
                assertThat(e.getMessage()).contains("other/repo:Q8_0").contains("pid " + holder.pid());
              });
      assertThat(fx.puller.prepareCalls()).isZero();
    } finally {
      holder.getOutputStream().close();
      holder.waitFor(30, TimeUnit.SECONDS);
      holder.destroyForcibly();
    }
    assertThat(coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30)).modelId()).isEqualTo("tiny-q4-k-m");
  }

  @Test
  void restartFailureEndsTheJobWithAnErrorThatSaysWhyWhileTheOldSetIsStillServed() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRestarts(
        new SupervisorException(
            SupervisorException.Reason.EXITED, "shimmy exited before it was ready", 101,
            List.of("loading tiny-Q4_K_M.gguf", "error: unsupported tensor type"), null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.BACKEND);
              assertThat(e.getMessage())
                  .startsWith("tiny-Q4_K_M.gguf was moved to " + modelDir.resolve(".shimmy-pull/quarantine")
                      + " because Shimmy cannot start with it: Shimmy did not come up")
                  .contains("exit code 101")
                  .contains("error: unsupported tensor type")
                  .contains("still serving [old-model]");
            });
    assertThat(job.state()).isEqualTo(PullJob.State.FAILED);
    assertThat(job.events()).last().isInstanceOfSatisfying(
        PullEvent.Failed.class, f -> assertThat(f.reason()).isEqualTo(Reason.BACKEND));
    assertThat(statuses(job.events())).doesNotContain("complete");
  }

  @Test
  void aModelShimmyCannotStartWithIsQuarantinedSoTheNextReconcileDoesNotTripOnIt() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    Files.write(modelDir.resolve("old-model.gguf"), new byte[] {'G', 'G', 'U', 'F'});
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRestarts(
        new SupervisorException(SupervisorException.Reason.EXITED, "shimmy exited before it was ready", 1, List.of("Error: bad model"), null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);
    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30))).isInstanceOf(PullException.class);

    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).doesNotExist();
    assertThat(modelDir.resolve(".shimmy-pull/quarantine/tiny-Q4_K_M.gguf")).hasSize(ScriptedPuller.FILE_SIZE);
    assertThat(coordinator.localModels()).extracting(m -> m.id()).containsExactly("old-model");
    int restartsSoFar = fx.supervisor.restarts().size();
    assertThat(coordinator.reconcile()).isTrue();
    assertThat(fx.supervisor.restarts()).hasSize(restartsSoFar);
  }

  @Test
  void aFailedRestartLeavesTheModelPublishedWhenTheOldSetIsNotServingEither() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.inState(BackendStatus.BACKING_OFF, "crashed");
    fx.supervisor.failRestarts(
        new SupervisorException(SupervisorException.Reason.EXITED, "shimmy exited before it was ready", 1, List.of(), null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertFailsWithTheModelLeftPublished(job);
  }

  @Test
  void aRestartTimeoutLeavesTheModelPublishedSinceItSaysNothingAboutTheFile() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.supervisor.serving(List.of("old-model"));
    fx.supervisor.failRestarts(
        new SupervisorException(SupervisorException.Reason.READY_TIMEOUT, "the external Shimmy does not serve [tiny-q4-k-m]", null, List.of(), null));

    PullJob job = coordinator.submit(ref("acme/tiny"), false);

    assertFailsWithTheModelLeftPublished(job);
  }

  private void assertFailsWithTheModelLeftPublished(PullJob job) {
    assertThatThrownBy(() -> job.await(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            PullException.class,
            e -> assertThat(e.getMessage()).startsWith("tiny-Q4_K_M.gguf is published in the model directory, but Shimmy did not come up"));
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
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CANCELLED));
    assertThat(job.state()).isEqualTo(PullJob.State.CANCELLED);
    assertThat(fx.puller.partial(ref("acme/tiny"))).exists();
    assertThat(fx.supervisor.restarts()).isEmpty();
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
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
  }

  @Test
  void deleteRemovesTheFilesAndRestartsShimmyWithoutTheModel() throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    Files.write(modelDir.resolve("beta.gguf"), new byte[20]);
    fx.supervisor.serving(List.of("alpha", "beta"));
    PullCoordinator coordinator = fx.coordinator();

    assertThat(coordinator.deleteModel("alpha").files()).containsExactly("alpha.gguf");

    assertThat(modelDir.resolve("alpha.gguf")).doesNotExist();
    assertThat(fx.supervisor.restarts()).containsExactly(List.of("beta"));
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

    assertThat(fx.supervisor.restarts()).containsExactly(List.of());
    assertThat(fx.supervisor.state().status()).isEqualTo(BackendStatus.IDLE);
  }

  @Test
  void deleteOfAnUnknownModelIsNotFoundAndRestartsNothing() {
    PullCoordinator coordinator = fx.coordinator();

    assertThatThrownBy(() -> coordinator.deleteModel("nope"))
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    assertThat(fx.supervisor.restarts()).isEmpty();
  }

  @Test
  void deleteWhileAPullRunsIsAConflict() throws Exception {
    Files.write(modelDir.resolve("alpha.gguf"), new byte[10]);
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();

    assertThatThrownBy(() -> coordinator.deleteModel("alpha"))
        .isInstanceOfSatisfying(PullException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
    assertThat(modelDir.resolve("alpha.gguf")).exists();
  }

  @Test
  void watcherRestartsShimmyWhenAModelIsCopiedInAndWhenOneVanishes() throws Exception {
    PullCoordinator coordinator = fx.track(fx.builder().watch(true).scanInterval(Duration.ofSeconds(30)).build());
    coordinator.start();
    assertThat(fx.supervisor.state().status()).isEqualTo(BackendStatus.IDLE);

    Path staging = Files.createDirectories(modelDir.resolve(".staging"));
    Files.write(staging.resolve("copied.gguf"), new byte[100]);
    Files.move(staging.resolve("copied.gguf"), modelDir.resolve("copied.gguf"));
    eventually("Shimmy restarted with the copied model", () -> fx.supervisor.restarts().contains(List.of("copied")));
    assertThat(fx.supervisor.state().models()).containsExactly("copied");

    Files.delete(modelDir.resolve("copied.gguf"));
    eventually("Shimmy restarted without it", () -> fx.supervisor.restarts().contains(List.of()));
    assertThat(fx.supervisor.restarts()).containsExactly(List.of("copied"), List.of());
  }

  @Test
  void periodicScanNoticesChangesWithoutFileEvents() throws Exception {
    Files.write(modelDir.resolve("present.gguf"), new byte[10]);
    fx.supervisor.serving(List.of("present"));
    PullCoordinator coordinator = fx.coordinator();

    Files.write(modelDir.resolve("later.gguf"), new byte[10]);
    assertThat(coordinator.reconcile()).isTrue();

    assertThat(fx.supervisor.restarts()).containsExactly(List.of("later", "present"));
    assertThat(coordinator.reconcile()).isTrue();
    assertThat(fx.supervisor.restarts()).hasSize(1);
  }

  @Test
  void reconcileWaitsWhileAPullRuns() throws Exception {
    PullCoordinator coordinator = fx.coordinator();
    fx.puller.holdDownloads();
    coordinator.submit(ref("acme/tiny"), false);
    fx.puller.awaitHeld();
    Files.write(modelDir.resolve("copied.gguf"), new byte[10]);

    assertThat(coordinator.reconcile()).isFalse();
    assertThat(fx.supervisor.restarts()).isEmpty();
  }

  @Test
  void preloadPullsMissingModelsBeforeShimmyStartsAndReportsFailures() {
    fx.puller.failPrepare("acme/gated", new PullException(Reason.GATED, "acme/gated is gated"));
    PullCoordinator coordinator = fx.coordinator();

    List<PreloadResult> results = coordinator.preload(List.of(ref("acme/tiny"), ref("acme/gated"), ref("acme/tiny")));

    assertThat(results).extracting(PreloadResult::succeeded).containsExactly(true, false, true);
    assertThat(results.get(1).error()).extracting(PullException::reason).isEqualTo(Reason.GATED);
    assertThat(modelDir.resolve("tiny-Q4_K_M.gguf")).exists();
    assertThat(results.get(2).result()).extracting(PullResult::downloaded).isEqualTo(false);
    assertThat(fx.supervisor.restarts()).isEmpty();
    assertThat(fx.supervisor.started()).isFalse();
  }

  @Test
  void metricsCountPullsByOutcomeAndReasonAndLeaveDownloadedBytesToThePuller() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    fx.puller.failPrepare("acme/missing", new PullException(Reason.NOT_FOUND, "missing"));
    PullCoordinator coordinator = fx.track(fx.builder().meterRegistry(registry).build());

    coordinator.submit(ref("acme/tiny"), false).await(Duration.ofSeconds(30));
    assertThatThrownBy(() -> coordinator.submit(ref("acme/missing"), false)).isInstanceOf(PullException.class);

    assertThat(registry.counter("shimmy.pulls", "outcome", "success", "reason", "none").count()).isEqualTo(1);
    assertThat(registry.counter("shimmy.pulls", "outcome", "failure", "reason", "not_found").count()).isEqualTo(1);
    assertThat(registry.find("shimmy.pull.downloaded.bytes").meters()).as("bytes are the puller's meter, counted once").isEmpty();
    assertThat(registry.counter("shimmy.restarts", "trigger", "pull", "outcome", "success").count()).isEqualTo(1);
    assertThat(registry.get("shimmy.pull.phase.duration").tag("phase", "restart").timer().count()).isEqualTo(1);
    assertThat(registry.get("shimmy.backend.state").tag("state", "ready").gauge().value()).isEqualTo(1.0);
  }
}
