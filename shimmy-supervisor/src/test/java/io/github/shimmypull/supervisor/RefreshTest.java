package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.CapacityAndQueueTest.running;
import static io.github.shimmypull.supervisor.PerModelInstancesTest.instance;
import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static io.github.shimmypull.supervisor.SupervisorFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** refresh(): changed models are replaced blue-green, removed ones stopped, others untouched. */
class RefreshTest extends SupervisorsUnderTest {

  /** Re-publishes {@code name} as a pull does: written aside, then renamed over the old file. */
  private void republish(Path dir, String name, int size) throws Exception {
    Path staged = FakeShimmy.writeGguf(tmp.resolve("staging").resolve(name), size);
    Files.move(
        staged,
        dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void aChangedModelIsReplacedBlueGreenUnderLoadWithoutAFailedLeaseAndTheOthersKeepTheirPids()
      throws Exception {
    Path dir = models("a.gguf", "b.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of(FakeShimmy.TOKEN_DELAY_MS, "5")).maxLoadedModels(2).build());
    s.load("a", Duration.ofSeconds(60));
    s.load("b", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();
    AtomicBoolean load = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    Set<Integer> aPorts = ConcurrentHashMap.newKeySet();
    List<Thread> clients = new ArrayList<>();
    for (String model : List.of("a", "a", "a", "b")) {
      Thread t =
          new Thread(
              () -> {
                while (load.get()) {
                  try (Lease lease = s.acquire(model, Duration.ofSeconds(30))) {
                    if (model.equals("a")) {
                      aPorts.add(lease.baseUrl().getPort());
                    }
                    String r = chat(lease, model);
                    if (r.startsWith("200 ") && r.contains("Hello from " + model)) {
                      ok.incrementAndGet();
                    } else {
                      failures.add(r);
                    }
                  } catch (Exception e) {
                    failures.add(model + ": " + e);
                  }
                }
              });
      t.start();
      clients.add(t);
    }
    Await.until("10 answers under load", () -> ok.get() >= 10);

    republish(dir, "a.gguf", 4096);
    s.refresh(List.of(), Duration.ofSeconds(60));

    InstanceState replaced = instance(s, "a");
    assertThat(replaced.pid()).isNotEqualTo(a);
    assertThat(replaced.sizeBytes()).isEqualTo(4096);
    int after = ok.get();
    Await.until("10 more answers after the swap", () -> ok.get() >= after + 10);
    load.set(false);
    for (Thread t : clients) {
      t.join(30_000);
    }
    assertThat(failures).isEmpty();
    assertThat(aPorts).hasSize(2);
    assertThat(instance(s, "b").pid()).isEqualTo(b);
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
    try (Lease lease = s.acquire("a", Duration.ofSeconds(10))) {
      assertThat(get(lease, "/api/models"))
          .as("the new files answer")
          .contains("\"size_bytes\":4096");
    }
    assertThat(s.models())
        .filteredOn(m -> m.id().equals("a"))
        .extracting(DiscoveredModel::sizeBytes)
        .containsExactly(4096L);
  }

  @Test
  void aNewModelLeavesRunningInstancesUntouchedAndIsWarmedOnlyWithoutStoppingABusyOne()
      throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s = track(builder(dir, Map.of()).build());
    Lease held = s.acquire("a", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();

    FakeShimmy.writeGguf(dir.resolve("b.gguf"));
    s.refresh(List.of("b"), Duration.ofSeconds(60));

    assertThat(s.models()).extracting(DiscoveredModel::id).containsExactly("a", "b");
    assertThat(running(s)).as("a is busy, so b waits for a request").containsExactly("a");
    assertThat(instance(s, "a").pid()).isEqualTo(a);
    held.close();

    s.refresh(List.of("b"), Duration.ofSeconds(60));
    assertThat(running(s))
        .as("an idle instance may make room for a warm start")
        .containsExactly("b");
    assertThat(instance(s, "b").status()).isEqualTo(BackendStatus.READY);
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void aRemovedModelsInstanceIsStoppedAndAnUnknownWarmIdIsNotFound() throws Exception {
    Path dir = models("a.gguf", "b.gguf");
    ProcessShimmySupervisor s = track(builder(dir, Map.of()).maxLoadedModels(2).build());
    s.load("a", Duration.ofSeconds(60));
    s.load("b", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();
    Files.delete(dir.resolve("a.gguf"));

    assertThatThrownBy(() -> s.refresh(List.of("a"), Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.MODEL_NOT_FOUND);
              assertThat(e.getMessage()).contains("[a]").contains("[b]");
            });
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
    assertThat(running(s)).containsExactly("b");
    assertThat(alive(b)).isTrue();
    assertThat(s.state().models()).containsExactly("b");
  }

  @Test
  void aFailedReplacementKeepsTheOldInstanceServing() throws Exception {
    Path dir = models("a.gguf");
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of(FakeShimmy.STARTUP_DELAY_MS, "1500")).build());
    s.load("a", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    republish(dir, "a.gguf", 128);

    assertThatThrownBy(() -> s.refresh(List.of(), Duration.ofMillis(300)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.READY_TIMEOUT));

    InstanceState kept = instance(s, "a");
    assertThat(kept.pid()).isEqualTo(a);
    assertThat(kept.status()).isEqualTo(BackendStatus.READY);
    assertThat(kept.reason()).contains("previous instance keeps serving");
    try (Lease lease = s.acquire("a", Duration.ofSeconds(5))) {
      assertThat(chat(lease, "a")).startsWith("200 ");
    }
  }
}
