package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/** Helpers shared by the supervisor tests: a fast builder over the fake Shimmy, polling, HTTP. */
final class SupervisorFixture {

  static final OkHttpClient HTTP =
      new OkHttpClient.Builder()
          .connectTimeout(Duration.ofSeconds(5))
          .readTimeout(Duration.ofSeconds(30))
          .retryOnConnectionFailure(false)
          .build();

  private SupervisorFixture() {}

  /** A launcher running the fake Shimmy with extra environment variables (fault knobs). */
  static ShimmyLauncher launcher(Map<String, String> env) {
    ShimmyLauncher.Builder b = ShimmyLauncher.newBuilder(FakeShimmy.command());
    env.forEach(b::putVariable);
    return b.build();
  }

  /**
   * A builder with short timeouts and backoffs suitable for tests; instances start on demand only
   * (no warm start), so each test decides what runs.
   */
  static ProcessShimmySupervisor.Builder builder(Path modelDir, Map<String, String> env) {
    return ProcessShimmySupervisor.newBuilder(modelDir)
        .launcher(launcher(env))
        .readyTimeout(Duration.ofSeconds(60))
        .stopGrace(Duration.ofSeconds(3))
        .drainTimeout(Duration.ofSeconds(10))
        .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
        .crashLoop(5, Duration.ofSeconds(60), Duration.ofMinutes(5))
        .warmAtStart(false);
  }

  /** Polls the supervisor's state until it matches, at most {@code timeout}. */
  static BackendState awaitState(
      ShimmySupervisor supervisor, Predicate<BackendState> condition, Duration timeout) {
    return Await.until(timeout, "the supervisor state condition", supervisor::state, condition);
  }

  static BackendState awaitStatus(ShimmySupervisor supervisor, BackendStatus status) {
    return awaitState(supervisor, s -> s.status() == status, Duration.ofSeconds(60));
  }

  /**
   * Waits for the exit of process {@code pid} (its {@link ProcessHandle#onExit()}), at most {@code
   * timeout}; returns whether it is gone.
   */
  static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty()) {
      return true;
    }
    try {
      process.get().onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException stillAlive) {
      return false;
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  static String get(Lease lease, String path) throws IOException {
    try (Response r =
        HTTP.newCall(new Request.Builder().url(lease.baseUrl().resolve(path).toString()).build())
            .execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  /** A non-streaming chat completion through a lease; returns "status body". */
  static String chat(Lease lease, String model) throws IOException {
    String json =
        "{\"model\":\""
            + model
            + "\",\"stream\":false,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    Request request =
        new Request.Builder()
            .url(lease.baseUrl().resolve("/v1/chat/completions").toString())
            .post(RequestBody.create(json, MediaType.get("application/json")))
            .build();
    try (Response r = HTTP.newCall(request).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  /** Records every published state. */
  static List<BackendState> record(ShimmySupervisor supervisor) {
    List<BackendState> states = new CopyOnWriteArrayList<>();
    supervisor.addListener(states::add);
    return states;
  }
}
