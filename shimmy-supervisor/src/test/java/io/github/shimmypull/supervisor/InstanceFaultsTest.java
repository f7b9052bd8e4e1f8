package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.PerModelInstancesTest.awaitInstance;
import static io.github.shimmypull.supervisor.PerModelInstancesTest.instance;
import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults per instance: kill -9, a crash loop after readiness, a hung (SIGSTOPped) Shimmy. */
class InstanceFaultsTest {

  @TempDir Path tmp;

  private final List<ProcessShimmySupervisor> supervisors = new ArrayList<>();
  private final List<Long> stoppedPids = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (long pid : stoppedPids) {
      signal("CONT", pid);
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    supervisors.forEach(ProcessShimmySupervisor::stop);
  }

  private static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
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
    s.start();
    return s;
  }

  private static String answer(ProcessShimmySupervisor s, String model) throws Exception {
    try (Lease lease = s.acquire(model, Duration.ofSeconds(60))) {
      return chat(lease, model);
    }
  }

  @Test
  void killNineOfOneInstanceLeavesTheOthersServingAndItComesBack() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf", "c.gguf"), Map.of()).maxLoadedModels(3).build());
    for (String m : List.of("a", "b", "c")) {
      s.load(m, Duration.ofSeconds(60));
    }
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();
    long c = instance(s, "c").pid();

    ProcessHandle.of(b).orElseThrow().destroyForcibly();

    assertThat(answer(s, "a")).contains("Hello from a");
    assertThat(answer(s, "c")).contains("Hello from c");
    InstanceState back =
        awaitInstance(
            s,
            "b",
            i -> i.status() == BackendStatus.READY && i.pid() != null && i.pid() != b,
            Duration.ofSeconds(30));
    assertThat(back.restarts()).isEqualTo(1);
    assertThat(answer(s, "b")).contains("Hello from b");
    assertThat(instance(s, "a").pid()).isEqualTo(a);
    assertThat(instance(s, "c").pid()).isEqualTo(c);
    assertThat(instance(s, "a").restarts()).isZero();
    assertThat(s.state().lastExit()).isNotNull();
  }

  @Test
  void aModelThatCrashesRightAfterEachReadyOpensItsOwnBreakerAndTheOthersKeepServing()
      throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(
                    models("good.gguf", "bad.gguf"),
                    Map.of(FakeShimmy.FAULT_MODEL, "bad", FakeShimmy.CRASH_AFTER_MS, "400"))
                .maxLoadedModels(2)
                .crashLoop(3, Duration.ofSeconds(60), Duration.ofMinutes(10))
                .build());
    List<BackendState> states = SupervisorFixture.record(s);
    s.load("good", Duration.ofSeconds(60));
    long good = instance(s, "good").pid();
    s.load("bad", Duration.ofSeconds(60));
    List<Long> badPids = new CopyOnWriteArrayList<>();
    badPids.add(instance(s, "bad").pid());

    InstanceState failed =
        awaitInstance(
            s,
            "bad",
            i -> {
              if (i.pid() != null && !badPids.contains(i.pid())) {
                badPids.add(i.pid());
              }
              return i.status() == BackendStatus.FAILED;
            },
            Duration.ofSeconds(60));
    assertThat(failed.reason()).contains("crash loop");
    assertThat(states).anyMatch(st -> st.reason() != null && st.reason().contains("bad: "));
    int restarts = failed.restarts();
    assertThat(restarts).isEqualTo(2);
    Thread.sleep(1000);
    assertThat(instance(s, "bad").status()).isEqualTo(BackendStatus.FAILED);
    assertThat(instance(s, "bad").restarts())
        .as("the breaker stops the restarts")
        .isEqualTo(restarts);
    assertThatThrownBy(() -> s.acquire("bad", Duration.ofSeconds(5)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.FAILED));

    assertThat(instance(s, "good").pid()).isEqualTo(good);
    assertThat(instance(s, "good").status()).isEqualTo(BackendStatus.READY);
    assertThat(answer(s, "good")).contains("Hello from good");
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
  }

  @Test
  void aHungInstanceIsReportedDegradedThenKilledAndRestarted() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf", "b.gguf"), Map.of())
                .maxLoadedModels(2)
                .livenessInterval(Duration.ofMillis(300))
                .livenessTimeout(Duration.ofMillis(300))
                .livenessMisses(3)
                .build());
    s.load("a", Duration.ofSeconds(60));
    s.load("b", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();

    stoppedPids.add(a);
    signal("STOP", a);

    InstanceState degraded =
        awaitInstance(
            s,
            "a",
            i -> i.reason() != null && i.reason().startsWith("degraded"),
            Duration.ofSeconds(30));
    assertThat(degraded.reason()).contains("liveness probes missed");
    InstanceState back =
        awaitInstance(
            s,
            "a",
            i -> i.status() == BackendStatus.READY && i.pid() != null && i.pid() != a,
            Duration.ofSeconds(60));
    assertThat(back.restarts()).isEqualTo(1);
    assertThat(back.reason()).isNull();
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
    assertThat(answer(s, "a")).contains("Hello from a");
    assertThat(instance(s, "b").pid()).isEqualTo(b);
    assertThat(alive(b)).isTrue();
  }
}
