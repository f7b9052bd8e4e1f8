package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A per-model supervisor double: each model has its own upstream (a MockWebServer or RawUpstream
 * per model). A model is "running" (tryAcquire leases it) or "cold" (tryAcquire answers null and
 * acquire(model, wait) starts it, i.e. marks it running). Records every acquire by model, so a test
 * can prove that nothing was started for an unknown model.
 */
public final class ModelSupervisor implements ShimmySupervisor {

  private final Map<String, URI> upstreams = new TreeMap<>();
  private final Map<String, Boolean> running = new ConcurrentHashMap<>();
  private final Map<String, Instant> started = new ConcurrentHashMap<>();
  private final List<String> acquired = new CopyOnWriteArrayList<>();
  private final List<String> tried = new CopyOnWriteArrayList<>();
  private final List<String> unloaded = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile @Nullable String lastUsed;
  private final Map<String, SupervisorException> failures = new ConcurrentHashMap<>();

  /** acquire(model, wait) of {@code model} throws {@code failure} from now on (e.g. OVERLOADED). */
  public ModelSupervisor failing(String model, SupervisorException failure) {
    failures.put(model, failure);
    return this;
  }

  /** A model served by {@code upstream}, running. */
  public synchronized ModelSupervisor running(String model, URI upstream) {
    upstreams.put(model, upstream);
    running.put(model, true);
    started.put(model, Instant.now());
    return this;
  }

  /** A model served by {@code upstream}, not running until acquire(model, wait) or load. */
  public synchronized ModelSupervisor cold(String model, URI upstream) {
    upstreams.put(model, upstream);
    running.put(model, false);
    return this;
  }

  /** The models passed to acquire(model, wait) and load, in order. */
  public List<String> acquiredModels() {
    return List.copyOf(acquired);
  }

  /** The models passed to tryAcquire, in order. */
  public List<String> triedModels() {
    return List.copyOf(tried);
  }

  public List<String> unloadedModels() {
    return List.copyOf(unloaded);
  }

  public int openLeases() {
    return open.get();
  }

  public boolean isRunning(String model) {
    return running.getOrDefault(model, false);
  }

  @Override
  public synchronized List<DiscoveredModel> models() {
    List<DiscoveredModel> models = new ArrayList<>();
    upstreams
        .keySet()
        .forEach(
            id ->
                models.add(
                    new DiscoveredModel(id, List.of(Path.of(id + ".gguf")), 1000L + id.length())));
    return models;
  }

  @Override
  public List<InstanceState> instances() {
    List<InstanceState> instances = new ArrayList<>();
    for (Map.Entry<String, URI> entry : snapshot().entrySet()) {
      String model = entry.getKey();
      if (isRunning(model)) {
        instances.add(
            new InstanceState(
                model,
                BackendStatus.READY,
                4000L + model.length(),
                entry.getValue().getPort(),
                started.get(model),
                null,
                0,
                null,
                0,
                null,
                1000L + model.length()));
      }
    }
    return instances;
  }

  private synchronized Map<String, URI> snapshot() {
    return new TreeMap<>(upstreams);
  }

  @Override
  public Lease acquire(String model, Duration wait) {
    acquired.add(model);
    URI upstream = snapshot().get(model);
    if (upstream == null) {
      throw new SupervisorException(Reason.MODEL_NOT_FOUND, "no model " + model);
    }
    SupervisorException failure = failures.get(model);
    if (failure != null) {
      throw failure;
    }
    running.put(model, true);
    started.putIfAbsent(model, Instant.now());
    return lease(model, upstream);
  }

  @Override
  public @Nullable Lease tryAcquire(String model) {
    tried.add(model);
    URI upstream = snapshot().get(model);
    return upstream != null && isRunning(model) ? lease(model, upstream) : null;
  }

  @Override
  public Lease acquire() {
    for (Map.Entry<String, URI> entry : snapshot().entrySet()) {
      if (isRunning(entry.getKey())) {
        return lease(entry.getKey(), entry.getValue());
      }
    }
    throw new SupervisorException(Reason.NO_BACKEND, "no instance is running");
  }

  @Override
  public Lease acquire(Duration wait) {
    return acquire();
  }

  @Override
  public void load(String model, Duration timeout) {
    acquire(model, timeout).close();
  }

  @Override
  public boolean unload(String model) {
    unloaded.add(model);
    Boolean was = running.replace(model, false);
    started.remove(model);
    return Boolean.TRUE.equals(was);
  }

  private Lease lease(String model, URI upstream) {
    open.incrementAndGet();
    lastUsed = model;
    AtomicBoolean closed = new AtomicBoolean();
    return new Lease() {
      @Override
      public String model() {
        return model;
      }

      @Override
      public URI baseUrl() {
        return upstream;
      }

      @Override
      public void close() {
        if (closed.compareAndSet(false, true)) {
          open.decrementAndGet();
        }
      }
    };
  }

  @Override
  public void start() {}

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {}

  @Override
  public BackendState state() {
    boolean any = running.containsValue(true);
    return new BackendState(
        any ? BackendStatus.READY : BackendStatus.IDLE,
        null,
        null,
        0,
        null,
        null,
        List.copyOf(snapshot().keySet()),
        List.of());
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {}

  @Override
  public void stop() {}
}
