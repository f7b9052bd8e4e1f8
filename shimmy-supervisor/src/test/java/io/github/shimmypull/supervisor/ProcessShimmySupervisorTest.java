package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitState;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitStatus;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static io.github.shimmypull.supervisor.SupervisorFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void startBecomesReadyAndLeasesReachTheLiveInstance() throws Exception {
    ProcessShimmySupervisor s = supervisor(models("Tiny_Model.gguf"), Map.of());
    s.start();
    try (Lease lease = s.acquire(Duration.ofSeconds(60))) {
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
  void restartWaitsForTheExpectedIdAndAFailedBlueGreenKeepsTheOldInstance() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s = supervisor(dir, Map.of());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    BackendState before = s.state();

    assertThatThrownBy(() -> s.restart(Set.of("a", "b"), Duration.ofSeconds(8)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
              assertThat(e.getMessage()).contains("[b]");
            });
    BackendState after = s.state();
    assertThat(after.status()).isEqualTo(BackendStatus.READY);
    assertThat(after.pid()).isEqualTo(before.pid());
    assertThat(after.reason()).contains("previous instance keeps serving");
    try (Lease lease = s.acquire()) {
      assertThat(chat(lease, "a")).startsWith("200 ");
    }

    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    assertThat(s.state().models()).containsExactly("a", "b");
    assertThat(s.state().pid()).isNotEqualTo(before.pid());
    assertThat(awaitGone(before.pid(), Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void aRestartWhoseInstanceServesWithoutAnExpectedIdFailsFastInsteadOfWaitingForTheTimeout() {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long pid = s.state().pid();

    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.restart(Set.of("a", "b"), Duration.ofSeconds(60)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
              assertThat(e.getMessage()).contains("is serving [a] without the expected [b]");
            });

    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(s.state().pid()).isEqualTo(pid);
  }

  @Test
  void aCrashingStartFailsAtOnceWithItsExitCodeAndOutput() {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of(FakeShimmy.REFUSE_START, "3"));
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.restart(Set.of("a"), Duration.ofSeconds(60)))
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
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long firstPid = s.state().pid();
    try (Lease lease = s.acquire()) {
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
    try (Lease lease = s.acquire()) {
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
    s.start();
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
  }

  @Test
  void aHangingStartTimesOutAndIsKilled() throws Exception {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of(FakeShimmy.READY_NO_BIND, "1"));
    List<BackendState> states = SupervisorFixture.record(s);
    assertThatThrownBy(() -> s.restart(Set.of("a"), Duration.ofSeconds(6)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT);
              assertThat(e.getMessage()).contains("did not answer GET /health");
              assertThat(e.outputTail()).contains("✅ Ready to serve requests");
            });
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (states.stream().allMatch(st -> st.pid() == null) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    long pid =
        states.stream().map(BackendState::pid).filter(p -> p != null).findFirst().orElseThrow();
    assertThat(awaitGone(pid, Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void aStartThatHangsSilentlyTimesOutAndTheBackendRetriesWithBackoff() throws Exception {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of(FakeShimmy.HANG, "true"));
    assertThatThrownBy(() -> s.restart(Set.of("a"), Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT));
    assertThat(s.state().status()).isIn(BackendStatus.BACKING_OFF, BackendStatus.STARTING);
    assertThat(s.state().reason()).contains("did not answer GET /health");
  }

  @Test
  void blueGreenRestartUnderLoadFailsNoRequest() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s = supervisor(dir, Map.of(FakeShimmy.TOKEN_DELAY_MS, "5"));
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new ArrayList<>();
    Set<Integer> ports = ConcurrentHashMap.newKeySet();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  try (Lease lease = s.acquire(Duration.ofSeconds(10))) {
                    ports.add(lease.baseUrl().getPort());
                    String r = chat(lease, "a");
                    if (r.startsWith("200 ")) {
                      ok.incrementAndGet();
                    } else {
                      synchronized (failures) {
                        failures.add(r);
                      }
                    }
                  } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                      failures.add(e.toString());
                    }
                  }
                }
              });
      t.start();
      clients.add(t);
    }
    List<Long> pids = new ArrayList<>();
    pids.add(s.state().pid());
    for (String next : List.of("b.gguf", "c.gguf")) {
      FakeShimmy.writeGguf(dir.resolve(next));
      List<String> ids = s.state().models().isEmpty() ? List.of() : new ArrayList<>(s.state().models());
      ids.add(next.replace(".gguf", ""));
      s.restart(ids, Duration.ofSeconds(60));
      pids.add(s.state().pid());
    }
    int before = ok.get();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (ok.get() < before + 20 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    running.set(false);
    for (Thread t : clients) {
      t.join(30_000);
    }
    assertThat(failures).isEmpty();
    assertThat(ok.get()).isGreaterThan(20);
    assertThat(ports).hasSize(3);
    assertThat(s.state().models()).containsExactly("a", "b", "c");
    assertThat(awaitGone(pids.get(0), Duration.ofSeconds(20))).isTrue();
    assertThat(awaitGone(pids.get(1), Duration.ofSeconds(20))).isTrue();
  }

  /** Streams a chat completion through the lease in the background; completes with the body. */
  private static java.util.concurrent.CompletableFuture<String> stream(Lease lease) {
    return java.util.concurrent.CompletableFuture.supplyAsync(
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
  void aLeaseHeldOnTheOldInstanceKeepsItServingUntilClosed() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of()).drainTimeout(Duration.ofSeconds(60)).build());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    Lease held = s.acquire();
    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    assertThat(s.state().pid()).isNotEqualTo(oldPid);
    try (Lease fresh = s.acquire()) {
      assertThat(fresh.baseUrl()).isNotEqualTo(held.baseUrl());
    }
    assertThat(alive(oldPid)).isTrue();
    String streamed = stream(held).get(60, java.util.concurrent.TimeUnit.SECONDS);
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
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    Lease held = s.acquire();
    java.util.concurrent.CompletableFuture<String> body = stream(held);
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    assertThat(awaitGone(oldPid, Duration.ofSeconds(20))).isTrue();
    assertThat(body.get(30, java.util.concurrent.TimeUnit.SECONDS)).doesNotContain("[DONE]");
  }

  @Test
  void concurrentRestartsQueueInsteadOfCancellingEachOther() throws Exception {
    Path dir = models("a.gguf", "b.gguf");
    ProcessShimmySupervisor s = supervisor(dir, Map.of(FakeShimmy.STARTUP_DELAY_MS, "500"));
    java.util.concurrent.CompletableFuture<Void> first =
        java.util.concurrent.CompletableFuture.runAsync(
            () -> s.restart(Set.of("a"), Duration.ofSeconds(60)));
    awaitState(s, st -> st.pid() != null, Duration.ofSeconds(30));
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    first.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(s.state().restarts()).isEqualTo(1);
  }

  @Test
  void inPlaceRestartReplacesTheInstance() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of()).restartMode(RestartMode.IN_PLACE).build());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long oldPid = s.state().pid();
    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    List<BackendState> states = SupervisorFixture.record(s);
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    assertThat(alive(oldPid)).isFalse();
    assertThat(s.state().pid()).isNotEqualTo(oldPid);
    assertThat(s.state().models()).containsExactly("a", "b");
    assertThat(states)
        .anyMatch(st -> st.status() == BackendStatus.RESTARTING && st.models().isEmpty());
  }

  @Test
  void stopLeavesNoProcessBehind() throws Exception {
    ProcessShimmySupervisor s = supervisor(models("a.gguf"), Map.of());
    s.restart(Set.of("a"), Duration.ofSeconds(60));
    long pid = s.state().pid();
    List<ProcessHandle> tree = new ArrayList<>();
    ProcessHandle.of(pid).ifPresent(tree::add);
    ProcessHandle.of(pid).flatMap(ProcessHandle::parent).ifPresent(tree::add);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(tree::add));
    s.stop();
    assertThat(s.state().status()).isEqualTo(BackendStatus.STOPPED);
    assertThat(tree).noneMatch(ProcessHandle::isAlive);
    assertThatThrownBy(s::acquire).isInstanceOf(SupervisorException.class);
    s.stop();
  }

  @Test
  void anEmptyDirectoryIsIdleUntilAModelAppears() throws Exception {
    Path dir = tmp.resolve("models");
    java.nio.file.Files.createDirectories(dir);
    ProcessShimmySupervisor s = supervisor(dir, Map.of());
    s.start();
    assertThat(s.state().status()).isEqualTo(BackendStatus.IDLE);
    assertThat(s.state().pid()).isNull();
    assertThatThrownBy(s::acquire)
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_BACKEND));
    FakeShimmy.writeGguf(dir.resolve("Fresh_Model.gguf"));
    s.restart(Set.of("fresh-model"), Duration.ofSeconds(60));
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    s.restart(Set.of(), Duration.ofSeconds(60));
    assertThat(s.state().status()).isEqualTo(BackendStatus.IDLE);
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
    assertThatThrownBy(() -> s.restart(Set.of("a"), Duration.ofSeconds(5)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.EXECUTABLE_NOT_FOUND));
  }

  @Test
  void aMissingExecutableWinsOverAnEmptyDirectoryAndAFailingCliDiscovery() throws Exception {
    Path dir = tmp.resolve("empty");
    java.nio.file.Files.createDirectories(dir);
    ShimmyLauncher launcher =
        ShimmyLauncher.newBuilder(List.of("/nonexistent/bin/shimmy")).build();
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
  void theChildSeesOnlyOurModelDirectory() throws Exception {
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
        track(builder(models("ours.gguf"), Map.of()).launcher(launcher).build());
    s.restart(Set.of("ours"), Duration.ofSeconds(60));
    assertThat(s.state().models()).containsExactly("ours");
  }

  @Test
  void acquireWithWaitWaitsWhileStarting() throws Exception {
    ProcessShimmySupervisor s =
        supervisor(models("a.gguf"), Map.of(FakeShimmy.STARTUP_DELAY_MS, "300"));
    s.start();
    assertThat(s.state().status()).isEqualTo(BackendStatus.STARTING);
    assertThatThrownBy(s::acquire).isInstanceOf(SupervisorException.class);
    try (Lease lease = s.acquire(Duration.ofSeconds(60))) {
      assertThat(get(lease, "/health")).startsWith("200 ");
    }
  }

  @Test
  void warmUpSendsAOneTokenCompletionThatPinsTheChosenModel() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf"), Map.of()).warmUpModel(ids -> "b").build());
    s.restart(Set.of("a", "b"), Duration.ofSeconds(60));
    try (Lease lease = s.acquire()) {
      assertThat(chat(lease, "a")).contains("\"content\":\"Hello from b\"");
    }
  }
}
