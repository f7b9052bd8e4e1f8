package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.CapacityAndQueueTest.running;
import static io.github.shimmypull.supervisor.PerModelInstancesTest.instance;
import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitState;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitStatus;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static io.github.shimmypull.supervisor.SupervisorFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lifecycle, start failures, crash recovery, drains and isolation of the per-model supervisor. */
class ProcessShimmySupervisorTest {

  @TempDir Path tmp;

  private final List<ProcessShimmySupervisor> supervisors = new ArrayList<>();

  @AfterEach
  void stopAll() {
    supervisors.forEach(ProcessShimmySupervisor::stop);
  }

  private Path models(String... names) {
    Path dir = tmp.resolve("models");
    for (String name : names) {
      FakeShimmy.writeGguf(dir.resolve(name));
    }
    return dir;
  }

  private ProcessShimmySupervisor track(ProcessShimmySupervisor s) {
    supervisors.add(s);
    return s;
  }

  private ProcessShimmySupervisor supervisor(Path dir, Map<String, String> env) {
    return track(builder(dir, env).build());
  }

  private void republish(Path dir, String name, int size) throws IOException {
    Path staged = FakeShimmy.writeGguf(tmp.resolve("staging").resolve(name), size);
    Files.move(
        staged,
        dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void startDiscoversAndStartsNothingThenARequestStartsTheModelsInstance() throws Exception {
    ProcessShimmySupervisor s = supervisor(models("Tiny_Model.gguf"), Map.of());
    s.start();
    assertThat(s.state().status()).isEqualTo(BackendStatus.IDLE);
    assertThat(s.state().models()).containsExactly("tiny-model");
    assertThat(s.state().pid()).isNull();
    try (Lease lease = s.acquire("tiny-model", Duration.ofSeconds(60))) {
      assertThat(get(lease, "/v1/models")).startsWith("200 ").contains("\"id\":\"tiny-model\"");
    }
    BackendState state = s.state();
    assertThat(state.status()).isEqualTo(BackendStatus.READY);
    assertThat(state.models()).containsExactly("tiny-model");
    assertThat(state.pid()).isNotNull();
    assertThat(alive(state.pid())).isTrue();
    assertThat(state.port()).isNotNull();
    assertThat(state.outputTail()).contains("✅ Ready to serve requests");
  }

  @Test
  void byDefaultStartLaunchesTheFirstModelsThatFitWithoutWaiting() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("b.gguf", "a.gguf", "c.gguf"), Map.of())
                .maxLoadedModels(2)
                .warmAtStart(true)
                .build());
    s.start();
    assertThat(s.state().status()).isIn(BackendStatus.STARTING, BackendStatus.READY);
    awaitStatus(s, BackendStatus.READY);
    PerModelInstancesTest.awaitInstance(
        s, "b", i -> i.status() == BackendStatus.READY, Duration.ofSeconds(60));
    assertThat(running(s)).containsExactly("a", "b");
  }

  @Test
  void restartIsARefreshThatWarmsTheExpectedIdsAndRejectsAnUndiscoveredOne() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s = supervisor(dir, Map.of());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    BackendState before = s.state();
    assertThat(before.status()).isEqualTo(BackendStatus.READY);

    assertThatThrownBy(() -> s.restart(Set.of("a", "b"), Duration.ofSeconds(8)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.MODEL_NOT_FOUND);
              assertThat(e.getMessage()).contains("[b]");
            });
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(s.state().pid()).isEqualTo(before.pid());
    try (Lease lease = s.acquire("a", Duration.ofSeconds(5))) {
      assertThat(chat(lease, "a")).startsWith("200 ");
    }

    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    assertThat(s.state().models()).containsExactly("a", "b");
    assertThat(s.state().pid())
        .as("a new model does not restart a running one")
        .isEqualTo(before.pid());
  }

  @Test
  void anInstanceThatServesAnotherIdThanExpectedFailsFastInsteadOfWaitingForTheTimeout() {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(
            builder(dir, Map.of())
                .discovery(
                    d ->
                        new ScanDiscoveryRunner()
                            .discover(d).stream()
                                .map(m -> new DiscoveredModel("ghost", m.files(), m.sizeBytes()))
                                .toList())
                .build());
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.load("ghost", Duration.ofSeconds(60)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
              assertThat(e.getMessage()).contains("is serving [a] without the expected [ghost]");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aCrashingStartFailsAtOnceWithItsExitCodeAndOutput() {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of(FakeShimmy.REFUSE_START, "3"));
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.load("a", Duration.ofSeconds(60)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.EXITED);
              assertThat(e.exitCode()).isEqualTo(3);
              assertThat(e.outputTail()).anyMatch(l -> l.contains("refused to start"));
            });
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    assertThat(s.state().lastExit()).isEqualTo(3);
  }

  @Test
  void aCrashIsFollowedByAnAutomaticRestartAfterABackoff() throws Exception {
    ProcessShimmySupervisor s =
        supervisor(models("a.gguf"), Map.of(FakeShimmy.CRASH_AFTER_REQUESTS, "1"));
    List<BackendState> states = SupervisorFixture.record(s);
    s.load("a", Duration.ofSeconds(60));
    long firstPid = s.state().pid();
    try (Lease lease = s.acquire("a", Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> chat(lease, "a")).isInstanceOf(IOException.class);
    }
    BackendState back =
        awaitState(
            s,
            st -> st.status() == BackendStatus.READY && st.pid() != null && st.pid() != firstPid,
            Duration.ofSeconds(15));
    assertThat(back.restarts()).isEqualTo(1);
    assertThat(back.lastExit()).isEqualTo(101);
    assertThat(states).anyMatch(st -> st.status() == BackendStatus.BACKING_OFF);
    try (Lease lease = s.acquire("a", Duration.ofSeconds(5))) {
      assertThat(get(lease, "/health")).startsWith("200 ");
    }
  }

  @Test
  void aCrashLoopOpensTheBreakerInsteadOfSpinning() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf"), Map.of(FakeShimmy.CRASH_AFTER_MS, "50"))
                .crashLoop(3, Duration.ofSeconds(60), Duration.ofMinutes(10))
                .build());
    try {
      s.load("a", Duration.ofSeconds(60));
    } catch (SupervisorException crashedBeforeReady) {
      assertThat(crashedBeforeReady.reason()).isIn(Reason.EXITED, Reason.FAILED);
    }
    BackendState failed = awaitStatus(s, BackendStatus.FAILED);
    assertThat(failed.reason()).contains("crash loop");
    assertThat(failed.lastExit()).isEqualTo(101);
    int launchesSoFar = failed.restarts();
    Thread.sleep(1000);
    assertThat(s.state().status()).isEqualTo(BackendStatus.FAILED);
    assertThat(s.state().restarts()).isEqualTo(launchesSoFar);
    assertThatThrownBy(() -> s.acquire(Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_BACKEND));
    assertThatThrownBy(() -> s.acquire("a", Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FAILED));
  }

  @Test
  void aHangingStartTimesOutAndIsKilled() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf"), Map.of(FakeShimmy.READY_NO_BIND, "1"))
                .readyTimeout(Duration.ofSeconds(2))
                .build());
    List<BackendState> states = SupervisorFixture.record(s);
    assertThatThrownBy(() -> s.load("a", Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
              assertThat(e.getMessage()).contains("did not answer GET /health");
              assertThat(e.outputTail()).contains("✅ Ready to serve requests");
            });
    long pid =
        states.stream().map(BackendState::pid).filter(p -> p != null).findFirst().orElseThrow();
    assertThat(awaitGone(pid, Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void aStartThatHangsSilentlyTimesOutAndTheInstanceRetriesWithBackoff() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf"), Map.of(FakeShimmy.HANG, "true"))
                .readyTimeout(Duration.ofSeconds(1))
                .build());
    assertThatThrownBy(() -> s.load("a", Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT));
    assertThat(s.state().status()).isIn(BackendStatus.BACKING_OFF, BackendStatus.RESTARTING);
    assertThat(instance(s, "a").reason()).contains("did not answer GET /health");
  }

  /** Streams a chat completion through the lease in the background; completes with the body. */
  private static CompletableFuture<String> stream(Lease lease) {
    return CompletableFuture.supplyAsync(
        () -> {
          String json = "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
          okhttp3.Request request =
              new okhttp3.Request.Builder()
                  .url(lease.baseUrl().resolve("/v1/chat/completions").toString())
                  .post(okhttp3.RequestBody.create(json, okhttp3.MediaType.get("application/json")))
                  .build();
          try (okhttp3.Response r = SupervisorFixture.HTTP.newCall(request).execute()) {
            return r.body().string();
          } catch (IOException e) {
            return "failed: " + e;
          } finally {
            lease.close();
          }
        });
  }

  @Test
  void aLeaseHeldOnTheReplacedInstanceKeepsItServingUntilClosed() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of()).drainTimeout(Duration.ofSeconds(60)).build());
    s.load("a", Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    Lease held = s.acquire("a", Duration.ofSeconds(5));
    republish(dir, "a.gguf", 100);
    s.refresh(List.of(), Duration.ofSeconds(60));
    assertThat(instance(s, "a").pid()).isNotEqualTo(oldPid);
    try (Lease fresh = s.acquire("a", Duration.ofSeconds(5))) {
      assertThat(fresh.baseUrl()).isNotEqualTo(held.baseUrl());
    }
    assertThat(alive(oldPid)).isTrue();
    String streamed = stream(held).get(60, TimeUnit.SECONDS);
    assertThat(streamed).endsWith("data: [DONE]\n\n");
    assertThat(streamed.split("\n\n")).hasSize(3 + 3);
    assertThat(awaitGone(oldPid, Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void theDrainIsBoundedByItsTimeout() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(
            builder(dir, Map.of(FakeShimmy.TOKENS, "1000", FakeShimmy.TOKEN_DELAY_MS, "100"))
                .drainTimeout(Duration.ofMillis(300))
                .build());
    s.load("a", Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    Lease held = s.acquire("a", Duration.ofSeconds(5));
    CompletableFuture<String> body = stream(held);
    republish(dir, "a.gguf", 100);
    s.refresh(List.of(), Duration.ofSeconds(60));
    assertThat(awaitGone(oldPid, Duration.ofSeconds(20))).isTrue();
    assertThat(body.get(30, TimeUnit.SECONDS)).doesNotContain("[DONE]");
  }

  @Test
  void concurrentRefreshesBothCompleteWithoutExtraStarts() throws Exception {
    Path dir = models("a.gguf", "b.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of(FakeShimmy.STARTUP_DELAY_MS, "500")).maxLoadedModels(2).build());
    CompletableFuture<Void> first =
        CompletableFuture.runAsync(() -> s.restart(Set.of("a"), Duration.ofSeconds(60)));
    awaitState(s, st -> st.pid() != null, Duration.ofSeconds(30));
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    first.get(60, TimeUnit.SECONDS);
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(running(s)).containsExactly("a", "b");
    assertThat(s.state().restarts()).isZero();
  }

  @Test
  void inPlaceReplacementStopsTheOldInstanceFirst() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of()).restartMode(RestartMode.IN_PLACE).build());
    s.load("a", Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    List<BackendState> states = SupervisorFixture.record(s);
    republish(dir, "a.gguf", 100);
    s.refresh(List.of(), Duration.ofSeconds(60));
    assertThat(alive(oldPid)).isFalse();
    assertThat(s.state().pid()).isNotEqualTo(oldPid);
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(states).anyMatch(st -> st.status() == BackendStatus.RESTARTING);
  }

  @Test
  void stopLeavesNoProcessBehind() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf", "c.gguf"), Map.of()).maxLoadedModels(3).build());
    List<ProcessHandle> tree = new ArrayList<>();
    for (String m : List.of("a", "b", "c")) {
      s.load(m, Duration.ofSeconds(60));
      long pid = instance(s, m).pid();
      ProcessHandle.of(pid).ifPresent(tree::add);
      ProcessHandle.of(pid).flatMap(ProcessHandle::parent).ifPresent(tree::add);
      ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(tree::add));
    }
    assertThat(tree).hasSizeGreaterThanOrEqualTo(3);
    s.stop();
    assertThat(s.state().status()).isEqualTo(BackendStatus.STOPPED);
    assertThat(tree).noneMatch(ProcessHandle::isAlive);
    assertThat(tmp.resolve("models/.shimmy-pull/instances")).doesNotExist();
    assertThatThrownBy(s::acquire).isInstanceOf(SupervisorException.class);
    assertThatThrownBy(() -> s.acquire("a", Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.STOPPED));
    s.stop();
  }

  @Test
  void staleInstanceDirectoriesOfAnEarlierRunAreRemovedAtStart() throws Exception {
    Path dir = models("a.gguf");
    Path stale = dir.resolve(".shimmy-pull/instances/a-7/models/a.gguf");
    FakeShimmy.writeGguf(stale);
    ProcessShimmySupervisor s = supervisor(dir, Map.of());
    s.start();
    assertThat(stale.getParent().getParent()).doesNotExist();
    assertThat(dir.resolve("a.gguf")).exists();
  }

  @Test
  void anEmptyDirectoryIsIdleUntilAModelAppearsAndIdleAgainWhenItIsGone() throws Exception {
    Path dir = tmp.resolve("models");
    Files.createDirectories(dir);
    ProcessShimmySupervisor s = supervisor(dir, Map.of());
    s.start();
    assertThat(s.state().status()).isEqualTo(BackendStatus.IDLE);
    assertThat(s.state().reason()).contains("no model");
    assertThat(s.state().pid()).isNull();
    assertThatThrownBy(s::acquire)
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_BACKEND));
    FakeShimmy.writeGguf(dir.resolve("Fresh_Model.gguf"));
    s.refresh(Set.of("fresh-model"), Duration.ofSeconds(60));
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    long pid = s.state().pid();
    Files.delete(dir.resolve("Fresh_Model.gguf"));
    s.refresh(Set.of(), Duration.ofSeconds(60));
    assertThat(awaitGone(pid, Duration.ofSeconds(20))).isTrue();
    awaitStatus(s, BackendStatus.IDLE);
    assertThat(s.state().models()).isEmpty();
  }

  @Test
  void aMissingExecutableMakesTheBackendUnavailableWithTheReason() throws Exception {
    ProcessShimmySupervisor s =
        track(
            ProcessShimmySupervisor.newBuilder(models("a.gguf"))
                .command("shimmy-does-not-exist-" + System.nanoTime() + " --flag")
                .build());
    s.start();
    BackendState state = s.state();
    assertThat(state.status()).isEqualTo(BackendStatus.UNAVAILABLE);
    assertThat(state.reason()).contains("not found").contains("shimmy-does-not-exist-");
    assertThatThrownBy(() -> s.load("a", Duration.ofSeconds(5)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.EXECUTABLE_NOT_FOUND));
    assertThat(s.state().status()).isEqualTo(BackendStatus.UNAVAILABLE);
  }

  @Test
  void aMissingExecutableWinsOverAnEmptyDirectoryAndAFailingCliDiscovery() throws Exception {
    Path dir = tmp.resolve("empty");
    Files.createDirectories(dir);
    ShimmyLauncher launcher = ShimmyLauncher.newBuilder(List.of("/nonexistent/bin/shimmy")).build();
    ProcessShimmySupervisor s =
        track(
            ProcessShimmySupervisor.newBuilder(dir)
                .launcher(launcher)
                .discovery(new CliDiscoveryRunner(launcher, Duration.ofSeconds(10)))
                .build());
    s.start();
    assertThat(s.state().status()).isEqualTo(BackendStatus.UNAVAILABLE);
    assertThat(s.state().reason()).contains("/nonexistent/bin/shimmy");
  }

  @Test
  void theChildSeesOnlyItsModelsFiles() throws Exception {
    Path home = tmp.resolve("user-home");
    FakeShimmy.writeGguf(home.resolve("models/from-home.gguf"));
    FakeShimmy.writeGguf(tmp.resolve("elsewhere/other.gguf"));
    Map<String, String> base = new HashMap<>(System.getenv());
    base.put("HOME", home.toString());
    base.put("SHIMMY_BASE_GGUF", tmp.resolve("elsewhere/other.gguf").toString());
    base.put("OLLAMA_MODELS", tmp.resolve("elsewhere").toString());
    base.put("SHIMMY_MODEL_PATHS", tmp.resolve("elsewhere").toString());
    ShimmyLauncher launcher =
        ShimmyLauncher.newBuilder(FakeShimmy.command()).environment(base).build();
    ProcessShimmySupervisor s =
        track(builder(models("ours.gguf", "theirs.gguf"), Map.of()).launcher(launcher).build());
    try (Lease lease = s.acquire("ours", Duration.ofSeconds(60))) {
      String listed = get(lease, "/v1/models");
      assertThat(listed)
          .contains("\"ours\"")
          .doesNotContain("theirs")
          .doesNotContain("other")
          .doesNotContain("from-home")
          .doesNotContain("tinyllama");
    }
  }

  @Test
  void acquireWithoutAModelWaitsWhileAnInstanceStarts() throws Exception {
    ProcessShimmySupervisor s =
        supervisor(models("a.gguf"), Map.of(FakeShimmy.STARTUP_DELAY_MS, "300"));
    s.start();
    CompletableFuture<Void> load =
        CompletableFuture.runAsync(() -> s.load("a", Duration.ofSeconds(60)));
    awaitState(s, st -> st.status() == BackendStatus.STARTING, Duration.ofSeconds(10));
    assertThatThrownBy(s::acquire).isInstanceOf(SupervisorException.class);
    try (Lease lease = s.acquire(Duration.ofSeconds(60))) {
      assertThat(lease.model()).isEqualTo("a");
      assertThat(get(lease, "/health")).startsWith("200 ");
    }
    load.get(60, TimeUnit.SECONDS);
  }

  @Test
  void warmUpSendsAOneTokenCompletionThatPinsTheInstancesModel() throws Exception {
    List<List<String>> asked = new CopyOnWriteArrayList<>();
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf", "b.gguf"), Map.of())
                .warmUpModel(
                    ids -> {
                      asked.add(ids);
                      return ids.get(0);
                    })
                .build());
    s.load("b", Duration.ofSeconds(60));
    assertThat(asked).containsExactly(List.of("b"));
    try (Lease lease = s.acquire("b", Duration.ofSeconds(5))) {
      assertThat(chat(lease, "b")).contains("\"content\":\"Hello from b\"");
    }
  }
}
