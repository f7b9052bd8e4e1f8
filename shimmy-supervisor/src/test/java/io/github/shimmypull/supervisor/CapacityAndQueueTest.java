package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.PerModelInstancesTest.instance;
import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Capacity: LRU eviction, the wait queue, no starvation, overload, keep-alive. */
class CapacityAndQueueTest extends SupervisorsUnderTest {

  /** Models of the instances that are not being stopped. */
  static List<String> running(ProcessShimmySupervisor s) {
    return s.instances().stream()
        .filter(i -> i.status() != io.github.shimmypull.core.supervisor.BackendStatus.STOPPED)
        .map(InstanceState::model)
        .toList();
  }

  private static void use(ProcessShimmySupervisor s, String model) {
    try (Lease lease = s.acquire(model, Duration.ofSeconds(60))) {
      assertThat(lease.model()).isEqualTo(model);
    }
  }

  @Test
  void whenFullTheLeastRecentlyUsedIdleInstanceIsStopped() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf", "c.gguf"), Map.of()).maxLoadedModels(2).build());
    use(s, "a");
    use(s, "b");
    Instant bUsed = instance(s, "b").lastUsed();
    Await.until("the clock passes b's last use", () -> Instant.now().isAfter(bUsed.plusMillis(1)));
    use(s, "a");
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();

    use(s, "c");

    assertThat(awaitGone(b, Duration.ofSeconds(20))).isTrue();
    assertThat(running(s)).containsExactly("a", "c");
    assertThat(instance(s, "a").pid()).isEqualTo(a);
  }

  @Test
  void startsEvictionsAndQueueRejectionsAreCountedPerModelOnTheMeterRegistry() throws Exception {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf", "b.gguf"), Map.of())
                .queueTimeout(Duration.ZERO)
                .events(io.github.shimmypull.supervisor.internal.SupervisorMetrics.on(registry))
                .build());
    use(s, "a");
    try (Lease held = s.acquire("a", Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> s.acquire("b", Duration.ofSeconds(5)))
          .isInstanceOf(SupervisorException.class);
    }
    use(s, "b");

    assertThat(
            registry
                .get("shimmy.instance.starts")
                .tags("model", "a", "outcome", "success")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get("shimmy.instance.cold.start").tags("model", "b").timer().count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("shimmy.instance.stops")
                .tags("model", "a", "reason", "capacity")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("shimmy.queue.rejections")
                .tags("model", "b", "reason", "queue-timeout")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void maxLoadedBytesCountsTheModelsFileSizes() throws Exception {
    Path dir = tmp.resolve("models");
    FakeShimmy.writeGguf(dir.resolve("a.gguf"), 100);
    FakeShimmy.writeGguf(dir.resolve("b.gguf"), 100);
    ProcessShimmySupervisor s =
        track(builder(dir, Map.of()).maxLoadedModels(5).maxLoadedBytes(150).build());
    use(s, "a");
    long a = instance(s, "a").pid();
    use(s, "b");
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
    assertThat(running(s)).containsExactly("b");
  }

  @Test
  void aBusyInstanceIsNeverStoppedForRoomAndTheWaiterGetsOverloadedAfterTheQueueTimeout()
      throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf", "b.gguf"), Map.of())
                .queueTimeout(Duration.ofMillis(500))
                .build());
    Lease held = s.acquire("a", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.acquire("b", Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.OVERLOADED);
              assertThat(e.reason().httpStatus()).isEqualTo(503);
              assertThat(e.getMessage()).contains("queue");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - t0))
        .isBetween(Duration.ofMillis(400), Duration.ofSeconds(20));
    assertThat(alive(a)).isTrue();
    assertThat(s.instances()).extracting(InstanceState::model).containsExactly("a");

    CompletableFuture<String> b = new CompletableFuture<>();
    Thread waiter =
        new Thread(
            () -> {
              try (Lease lease = s.acquire("b", Duration.ofSeconds(60))) {
                b.complete(lease.model());
              } catch (RuntimeException e) {
                b.completeExceptionally(e);
              }
            },
            "waiter-for-b");
    waiter.start();
    Await.until(
        "the request for b waits in the queue",
        () -> b.isDone() || waiter.getState() == Thread.State.TIMED_WAITING);
    assertThat(b).isNotDone();
    held.close();
    assertThat(b.get(60, TimeUnit.SECONDS)).isEqualTo("b");
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
  }

  @Test
  void aFullQueueAnswersOverloadedAtOnce() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf", "c.gguf"), Map.of()).maxQueue(1).build());
    Lease held = s.acquire("a", Duration.ofSeconds(60));
    CompletableFuture<String> queued =
        CompletableFuture.supplyAsync(
            () -> {
              try (Lease lease = s.acquire("b", Duration.ofSeconds(60))) {
                return lease.model();
              }
            });
    String message =
        Await.until(
            Duration.ofSeconds(20),
            "a request for c refused: the queue is full",
            () -> {
              try {
                s.acquire("c", Duration.ZERO).close();
                return "";
              } catch (SupervisorException e) {
                assertThat(e.reason()).isEqualTo(Reason.OVERLOADED);
                return e.getMessage();
              }
            },
            m -> m.contains("queue is full"));
    assertThat(message).contains("queue is full");
    held.close();
    assertThat(queued.get(60, TimeUnit.SECONDS)).isEqualTo("b");
  }

  @Test
  void withCapacityOneTwoModelsUnderConcurrentLoadBothProgressWithoutFailures() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf"), Map.of(FakeShimmy.TOKEN_DELAY_MS, "5")).build());
    Map<String, AtomicInteger> served = new ConcurrentHashMap<>();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> clients = new ArrayList<>();
    for (String model : List.of("a", "b", "a", "b")) {
      Thread t =
          new Thread(
              () -> {
                for (int i = 0; i < 4; i++) {
                  try (Lease lease = s.acquire(model, Duration.ofSeconds(60))) {
                    String r = chat(lease, model);
                    if (r.startsWith("200 ") && r.contains("Hello from " + model)) {
                      served.computeIfAbsent(model, m -> new AtomicInteger()).incrementAndGet();
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
    for (Thread t : clients) {
      t.join(120_000);
    }
    assertThat(failures).isEmpty();
    assertThat(served.get("a")).hasValue(8);
    assertThat(served.get("b")).hasValue(8);
  }

  @Test
  void keepAliveZeroStopsAnInstanceAsSoonAsItIsIdle() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf"), Map.of()).keepAlive(Duration.ZERO).build());
    long pid;
    try (Lease lease = s.acquire("a", Duration.ofSeconds(60))) {
      pid = instance(s, "a").pid();
      Thread.sleep(100);
      assertThat(alive(pid)).as("busy instances are kept").isTrue();
      assertThat(chat(lease, "a")).startsWith("200 ");
    }
    assertThat(awaitGone(pid, Duration.ofSeconds(20))).isTrue();
    assertThat(running(s)).isEmpty();
  }

  @Test
  void keepAliveStopsAnInstanceIdleForLongerThanTheDurationOnly() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf"), Map.of()).keepAlive(Duration.ofMillis(1500)).build());
    use(s, "a");
    InstanceState a = instance(s, "a");
    assertThat(a.expiresAt()).isNotNull();
    assertThat(Duration.between(a.lastUsed(), a.expiresAt())).isEqualTo(Duration.ofMillis(1500));
    Thread.sleep(700);
    use(s, "a");
    assertThat(instance(s, "a").pid()).as("used again before expiry: kept").isEqualTo(a.pid());
    assertThat(awaitGone(a.pid(), Duration.ofSeconds(20))).isTrue();
    assertThat(running(s)).isEmpty();
  }
}
