package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.internal.DaemonThreads;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A {@link ShimmySupervisor} for a Shimmy that someone else runs (a sidecar, another container):
 * leases its fixed URL, reports it {@code ready} or {@code unavailable} by polling its {@code
 * /health}, and reads the ids it serves from {@code /v1/models}. It cannot start, stop or restart
 * that Shimmy: {@link #restart} only waits for the ids to appear and otherwise fails with a message
 * telling the operator to restart it.
 */
public final class ExternalShimmySupervisor implements ShimmySupervisor {

  /** Default time between two {@code /health} probes. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(ExternalShimmySupervisor.class);

  private final URI baseUrl;
  private final HttpUrl base;
  private final OkHttpClient client;
  private final Duration pollInterval;
  private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private volatile BackendState state = BackendState.of(BackendStatus.STOPPED, "not started");
  private @Nullable ScheduledExecutorService poller;

  /** Polls every {@link #DEFAULT_POLL_INTERVAL}. */
  public ExternalShimmySupervisor(URI baseUrl, OkHttpClient client) {
    this(baseUrl, client, DEFAULT_POLL_INTERVAL);
  }

  /**
   * @param baseUrl where Shimmy listens, e.g. {@code http://shimmy:11435}
   * @param client the shared client; probes use a 2 s call timeout derived from it
   * @param pollInterval time between two {@code /health} probes (positive)
   */
  public ExternalShimmySupervisor(URI baseUrl, OkHttpClient client, Duration pollInterval) {
    HttpUrl parsed = HttpUrl.parse(baseUrl.toString());
    if (parsed == null) {
      throw new IllegalArgumentException(
          "shimmy.external-url must be an http(s) URL such as http://shimmy:11435, not '"
              + baseUrl
              + "'");
    }
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("pollInterval must be positive, not " + pollInterval);
    }
    this.baseUrl = baseUrl;
    this.base = parsed;
    this.client = client.newBuilder().callTimeout(Duration.ofSeconds(2)).build();
    this.pollInterval = pollInterval;
  }

  /** The URL of the external Shimmy. */
  public URI baseUrl() {
    return baseUrl;
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (poller != null) {
        return;
      }
      ScheduledExecutorService executor =
          Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shimmy-external-health"));
      poller = executor;
      update(BackendState.of(BackendStatus.STARTING, null));
      executor.scheduleWithFixedDelay(
          this::probe, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }
    log.info("fronting external Shimmy at {}", baseUrl);
  }

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> served = List.of();
    while (true) {
      try {
        served = fetchModels();
        if (served.containsAll(expectedIds)) {
          update(stateWith(BackendStatus.READY, null, served));
          return;
        }
      } catch (IOException e) {
        log.debug("external Shimmy at {} not reachable: {}", baseUrl, e.toString());
      }
      if (System.nanoTime() >= deadline) {
        break;
      }
      sleep(Math.min(pollInterval.toMillis(), 500));
    }
    List<String> missing = new ArrayList<>(expectedIds);
    missing.removeAll(served);
    throw new SupervisorException(
        SupervisorException.Reason.READY_TIMEOUT,
        "the external Shimmy at "
            + baseUrl
            + " does not serve "
            + missing
            + " after "
            + timeout.toSeconds()
            + " s; it is run outside this service (an external Shimmy), so restart"
            + " it to load the new model");
  }

  @Override
  public BackendState state() {
    return state;
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {
    listeners.add(listener);
  }

  @Override
  public Lease acquire() {
    BackendState current = state;
    if (current.status() != BackendStatus.READY) {
      throw new SupervisorException(
          SupervisorException.Reason.NO_BACKEND,
          "the external Shimmy at "
              + baseUrl
              + " is "
              + current.status().wireName()
              + (current.reason() == null ? "" : ": " + current.reason()));
    }
    return new FixedLease(baseUrl);
  }

  @Override
  public Lease acquire(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (state.status() == BackendStatus.STARTING && System.nanoTime() < deadline) {
      sleep(50);
    }
    return acquire();
  }

  @Override
  public void stop() {
    ScheduledExecutorService executor;
    synchronized (lock) {
      executor = poller;
      poller = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      update(BackendState.of(BackendStatus.STOPPED, null));
    }
  }

  private void probe() {
    try {
      try (Response response =
          client.newCall(new Request.Builder().url(base.resolve("health")).build()).execute()) {
        if (!response.isSuccessful()) {
          update(
              stateWith(
                  BackendStatus.UNAVAILABLE, "GET /health answered " + response.code(), List.of()));
          return;
        }
      }
      update(stateWith(BackendStatus.READY, null, fetchModels()));
    } catch (IOException | RuntimeException e) {
      update(
          stateWith(
              BackendStatus.UNAVAILABLE,
              "cannot reach " + baseUrl + ": " + e.getMessage(),
              List.of()));
    }
  }

  private List<String> fetchModels() throws IOException {
    Request request =
        new Request.Builder().url(Objects.requireNonNull(base.resolve("v1/models"))).build();
    try (Response response = client.newCall(request).execute()) {
      if (!response.isSuccessful()) {
        throw new IOException("GET /v1/models answered " + response.code());
      }
      List<String> ids = new ArrayList<>();
      try {
        for (JsonNode model :
            Json.lenientReader().readTree(response.body().byteStream()).path("data")) {
          ids.add(model.path("id").asString());
        }
      } catch (JacksonException e) {
        throw new IOException(
            "GET /v1/models answered no model list: " + e.getOriginalMessage(), e);
      }
      return ids;
    }
  }

  private BackendState stateWith(
      BackendStatus status, @Nullable String reason, List<String> models) {
    return new BackendState(
        status,
        null,
        baseUrl.getPort() < 0 ? null : baseUrl.getPort(),
        0,
        null,
        reason,
        models,
        List.of());
  }

  private void update(BackendState next) {
    BackendState previous;
    synchronized (lock) {
      previous = state;
      if (poller == null && next.status() != BackendStatus.STOPPED) {
        return;
      }
      state = next;
    }
    if (previous.status() != next.status()) {
      log.info(
          "external Shimmy at {} is {}{}",
          baseUrl,
          next.status().wireName(),
          next.reason() == null ? "" : " (" + next.reason() + ")");
    }
    if (!previous.equals(next)) {
      listeners.forEach(listener -> listener.accept(next));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SupervisorException(
          SupervisorException.Reason.STOPPED, "interrupted while waiting for Shimmy");
    }
  }

  private record FixedLease(URI baseUrl) implements Lease {
    @Override
    public void close() {}
  }
}
