package io.github.shimmypull.supervisor;

import static io.github.shimmypull.supervisor.SupervisorFixture.alive;
import static io.github.shimmypull.supervisor.SupervisorFixture.awaitGone;
import static io.github.shimmypull.supervisor.SupervisorFixture.builder;
import static io.github.shimmypull.supervisor.SupervisorFixture.chat;
import static io.github.shimmypull.supervisor.SupervisorFixture.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** One Shimmy per model: routing by model, private directories, discovery, leases, visibility. */
class PerModelInstancesTest extends SupervisorsUnderTest {

  static InstanceState instance(ProcessShimmySupervisor s, String model) {
    return find(s, model)
        .orElseThrow(
            () -> new AssertionError("no running instance of " + model + ": " + s.instances()));
  }

  static Optional<InstanceState> find(ProcessShimmySupervisor s, String model) {
    return s.instances().stream()
        .filter(i -> i.model().equals(model) && i.status() != BackendStatus.STOPPED)
        .findFirst();
  }

  static InstanceState awaitInstance(
      ProcessShimmySupervisor s,
      String model,
      Predicate<InstanceState> condition,
      Duration timeout) {
    return Await.until(
            timeout,
            "the instance condition for " + model,
            () -> find(s, model),
            i -> i.isPresent() && condition.test(i.get()))
        .orElseThrow();
  }

  @Test
  void everyAnswerComesFromTheModelTheRequestNamed() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("alpha.gguf", "beta.gguf", "gamma.gguf"), Map.of())
                .maxLoadedModels(3)
                .build());
    for (int round = 0; round < 2; round++) {
      for (String model : List.of("beta", "alpha", "gamma")) {
        try (Lease lease = s.acquire(model, Duration.ofSeconds(60))) {
          assertThat(lease.model()).isEqualTo(model);
          assertThat(chat(lease, model))
              .startsWith("200 ")
              .contains("\"content\":\"Hello from " + model + "\"");
        }
      }
    }
    assertThat(s.instances())
        .extracting(InstanceState::model)
        .containsExactly("alpha", "beta", "gamma");
    assertThat(s.instances()).extracting(InstanceState::pid).doesNotHaveDuplicates();
    assertThat(s.state().status()).isEqualTo(BackendStatus.READY);
    assertThat(s.state().models()).containsExactly("alpha", "beta", "gamma");
  }

  @Test
  void aSplitModelIsServedByItsGroupIdFromAPrivateDirectoryWithEveryShard() throws Exception {
    Path dir = models("other.gguf");
    FakeShimmy.writeGguf(dir.resolve("split/Big-Q8_0-00001-of-00002.gguf"), 100);
    FakeShimmy.writeGguf(dir.resolve("split/Big-Q8_0-00002-of-00002.gguf"), 200);
    ProcessShimmySupervisor s = track(builder(dir, Map.of()).build());
    assertThat(s.models()).extracting(DiscoveredModel::id).containsExactly("big-q8-0", "other");

    try (Lease lease = s.acquire("big-q8-0", Duration.ofSeconds(60))) {
      assertThat(get(lease, "/v1/models")).contains("\"id\":\"big-q8-0\"").doesNotContain("other");
      assertThat(chat(lease, "big-q8-0")).contains("Hello from big-q8-0");
      assertThat(get(lease, "/api/models")).as("both shards").contains("\"size_bytes\":300");
    }
    InstanceState big = instance(s, "big-q8-0");
    assertThat(big.sizeBytes()).isEqualTo(300);
    Path instances = dir.resolve(".shimmy-pull/instances");
    try (Stream<Path> dirs = Files.list(instances)) {
      Path privateDir = dirs.findFirst().orElseThrow().resolve("models");
      try (Stream<Path> files = Files.list(privateDir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .containsExactlyInAnyOrder(
                "Big-Q8_0-00001-of-00002.gguf", "Big-Q8_0-00002-of-00002.gguf");
      }
      assertThat(new ScanDiscoveryRunner().discover(privateDir))
          .extracting(DiscoveredModel::id)
          .containsExactly("big-q8-0");
      ShimmyLauncher launcher = ShimmyLauncher.newBuilder(FakeShimmy.command()).build();
      assertThat(new CliDiscoveryRunner(launcher, Duration.ofSeconds(60)).discover(privateDir))
          .extracting(DiscoveredModel::id)
          .containsExactly("big-q8-0");
    }
    assertThat(new ScanDiscoveryRunner().discover(dir))
        .extracting(DiscoveredModel::id)
        .as("the private directory stays out of the model directory's own scan")
        .containsExactly("big-q8-0", "other");
  }

  @Test
  void anUnknownModelIsNotFoundWithTheAvailableIdsAndStartsNothing() {
    ProcessShimmySupervisor s = track(builder(models("a.gguf", "b.gguf"), Map.of()).build());
    assertThatThrownBy(() -> s.acquire("nope", Duration.ofSeconds(5)))
        .isInstanceOfSatisfying(
            SupervisorException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.MODEL_NOT_FOUND);
              assertThat(e.reason().httpStatus()).isEqualTo(404);
              assertThat(e.getMessage()).contains("nope").contains("[a, b]");
            });
    assertThat(s.instances()).isEmpty();
    assertThat(s.state().status()).isEqualTo(BackendStatus.IDLE);
    assertThat(s.state().pid()).isNull();
  }

  @Test
  void tryAcquireNeverStartsAndLeasesOnlyAReadyInstance() throws Exception {
    ProcessShimmySupervisor s = track(builder(models("a.gguf"), Map.of()).build());
    assertThat(s.tryAcquire("a")).isNull();
    assertThat(s.tryAcquire("missing")).isNull();
    assertThat(s.instances()).isEmpty();
    s.load("a", Duration.ofSeconds(60));
    try (Lease lease = s.tryAcquire("a")) {
      assertThat(lease).isNotNull();
      assertThat(lease.model()).isEqualTo("a");
      assertThat(get(lease, "/health")).startsWith("200 ");
    }
  }

  @Test
  void aRequestWithoutAModelStartsTheOnlyModelButNotOneOfSeveral() throws Exception {
    ProcessShimmySupervisor one = track(builder(models("a.gguf"), Map.of()).build());
    try (Lease lease = one.acquire(Duration.ofSeconds(60))) {
      assertThat(lease.model()).isEqualTo("a");
    }
    Path two = tmp.resolve("two");
    FakeShimmy.writeGguf(two.resolve("a.gguf"));
    FakeShimmy.writeGguf(two.resolve("b.gguf"));
    ProcessShimmySupervisor several = track(builder(two, Map.of()).build());
    assertThatThrownBy(() -> several.acquire(Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(
            SupervisorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_BACKEND));
    assertThat(several.instances()).isEmpty();
  }

  @Test
  void instancesShowEveryFieldAndTheAggregateFollowsTheMostRecentlyUsed() throws Exception {
    ProcessShimmySupervisor s =
        track(
            builder(models("a.gguf", "b.gguf"), Map.of())
                .maxLoadedModels(2)
                .keepAlive(Duration.ofMinutes(5))
                .build());
    s.load("a", Duration.ofSeconds(60));
    Lease held = s.acquire("b", Duration.ofSeconds(60));
    try {
      InstanceState b = instance(s, "b");
      assertThat(b.status()).isEqualTo(BackendStatus.READY);
      assertThat(b.pid()).isNotNull();
      assertThat(alive(b.pid())).isTrue();
      assertThat(b.port()).isEqualTo(held.baseUrl().getPort());
      assertThat(b.startedAt()).isNotNull();
      assertThat(b.lastUsed()).isNotNull();
      assertThat(b.inFlight()).isEqualTo(1);
      assertThat(b.expiresAt()).as("busy: keep-alive does not run").isNull();
      assertThat(b.restarts()).isZero();
      assertThat(b.reason()).isNull();
      assertThat(b.sizeBytes()).isEqualTo(64);
      assertThat(s.state().pid()).isEqualTo(b.pid());
      assertThat(s.state().port()).isEqualTo(b.port());
    } finally {
      held.close();
    }
    InstanceState idle = instance(s, "b");
    assertThat(idle.inFlight()).isZero();
    assertThat(idle.expiresAt()).isAfter(idle.lastUsed());
    try (Lease any = s.acquire()) {
      assertThat(any.model()).isEqualTo("b");
    }
  }

  @Test
  void unloadDrainsAndStopsOneInstanceAndLoadStartsItAgain() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf", "b.gguf"), Map.of()).maxLoadedModels(2).build());
    s.load("a", Duration.ofSeconds(60));
    s.load("b", Duration.ofSeconds(60));
    long a = instance(s, "a").pid();
    long b = instance(s, "b").pid();
    assertThat(s.unload("a")).isTrue();
    assertThat(awaitGone(a, Duration.ofSeconds(20))).isTrue();
    assertThat(s.unload("a")).isFalse();
    assertThat(s.instances()).extracting(InstanceState::model).containsExactly("b");
    assertThat(instance(s, "b").pid()).isEqualTo(b);
    s.load("a", Duration.ofSeconds(60));
    assertThat(instance(s, "a").pid()).isNotEqualTo(a);
  }

  @Test
  void concurrentRequestsForOneModelShareOneStart() throws Exception {
    ProcessShimmySupervisor s =
        track(builder(models("a.gguf"), Map.of(FakeShimmy.STARTUP_DELAY_MS, "300")).build());
    List<java.util.concurrent.CompletableFuture<Integer>> ports = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ports.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try (Lease lease = s.acquire("a", Duration.ofSeconds(60))) {
                  return lease.baseUrl().getPort();
                }
              }));
    }
    assertThat(ports.stream().map(java.util.concurrent.CompletableFuture::join).distinct())
        .hasSize(1);
    assertThat(s.state().restarts()).isZero();
    assertThat(s.instances()).hasSize(1);
  }
}
