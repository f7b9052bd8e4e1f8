package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A supervisor that records every refresh and behaves as the per-model pool does: a refresh
 * re-discovers the model directory, stops the instances whose model is gone, and warms the ids it
 * is given (failing with MODEL_NOT_FOUND when one is not discovered). Or it fails a refresh the way
 * an instance that exits does (the running instances stay served, as blue-green does). The old
 * {@code restart} is refused, so a caller that still uses it fails its test.
 */
public final class RecordingSupervisor implements ShimmySupervisor {

  private final @Nullable Path modelDir;
  private final DirectoryDiscovery discovery = new DirectoryDiscovery();
  private final List<List<String>> refreshes = new CopyOnWriteArrayList<>();
  private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
  private volatile BackendState state = BackendState.of(BackendStatus.STOPPED, null);
  private volatile @Nullable SupervisorException refreshFailure;
  private volatile boolean stopsIdleOnFailure;
  private volatile boolean started;
  private final List<String> loads = new CopyOnWriteArrayList<>();
  private final List<String> unloads = new CopyOnWriteArrayList<>();
  private final List<InstanceState> running = new CopyOnWriteArrayList<>();

  /** Loads and unloads asked for, in order, as "load ID" / "unload ID". */
  public List<String> loadsAndUnloads() {
    List<String> all = new ArrayList<>();
    loads.forEach(id -> all.add("load " + id));
    unloads.forEach(id -> all.add("unload " + id));
    return all;
  }

  /** The instances it reports as running from now on. */
  public RecordingSupervisor running(InstanceState... instances) {
    running.clear();
    running.addAll(List.of(instances));
    return this;
  }

  @Override
  public List<InstanceState> instances() {
    return List.copyOf(running);
  }

  @Override
  public void load(String model, Duration timeout) {
    loads.add(model);
    running.add(
        new InstanceState(
            model,
            BackendStatus.READY,
            4242L,
            41000,
            java.time.Instant.EPOCH,
            null,
            0,
            null,
            0,
            null,
            123));
  }

  @Override
  public boolean unload(String model) {
    unloads.add(model);
    return running.removeIf(instance -> instance.model().equals(model));
  }

  /** A supervisor of {@code modelDir}: its discovery lists the {@code .gguf} files there. */
  public RecordingSupervisor(Path modelDir) {
    this.modelDir = modelDir;
  }

  /**
   * A supervisor without a directory: it discovers what it serves plus what it is asked to warm
   * (with a directory, {@link #models()} lists the directory's models plus the served ones).
   */
  public RecordingSupervisor() {
    this.modelDir = null;
  }

  /** Runs instances of {@code ids} from now on (as if started earlier). */
  public RecordingSupervisor serving(List<String> ids) {
    set(ids.isEmpty() ? BackendState.of(BackendStatus.IDLE, null) : ready(ids));
    return this;
  }

  /** Puts the backend into {@code status}. */
  public RecordingSupervisor inState(BackendStatus status, @Nullable String reason) {
    set(new BackendState(status, null, null, 0, 1, reason, state.models(), List.of()));
    return this;
  }

  /** Makes every following refresh fail with {@code failure}. */
  public RecordingSupervisor failRefreshes(@Nullable SupervisorException failure) {
    this.refreshFailure = failure;
    this.stopsIdleOnFailure = false;
    return this;
  }

  /**
   * Makes every following refresh stop the running (idle) instances to make room for the warm
   * start, and then fail with {@code failure}, as a full pool does.
   */
  public RecordingSupervisor failRefreshesAfterMakingRoom(SupervisorException failure) {
    this.refreshFailure = failure;
    this.stopsIdleOnFailure = true;
    return this;
  }

  /** The {@code warm} sets of every refresh asked for, in order (sorted). */
  public List<List<String>> refreshes() {
    return new ArrayList<>(refreshes);
  }

  /** The models running now. */
  public List<String> running() {
    return state.status() == BackendStatus.READY ? state.models() : List.of();
  }

  public boolean started() {
    return started;
  }

  @Override
  public void start() {
    started = true;
    if (state.status() == BackendStatus.STOPPED) {
      set(BackendState.of(BackendStatus.IDLE, null));
    }
  }

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {
    throw new UnsupportedOperationException("restart(ids) is replaced by refresh(warm, timeout)");
  }

  @Override
  public void refresh(Collection<String> warm, Duration timeout) {
    List<String> asked = warm.stream().sorted().toList();
    refreshes.add(asked);
    SupervisorException failure = refreshFailure;
    if (failure != null) {
      if (stopsIdleOnFailure) {
        set(BackendState.of(BackendStatus.IDLE, null));
      }
      throw failure;
    }
    @Nullable List<String> known = modelDir == null ? null : discovered();
    Set<String> next = new LinkedHashSet<>();
    for (String id : running()) {
      if (known == null || known.contains(id)) {
        next.add(id);
      }
    }
    for (String id : asked) {
      if (known != null && !known.contains(id)) {
        throw new SupervisorException(
            SupervisorException.Reason.MODEL_NOT_FOUND,
            "model '" + id + "' is not in the directory");
      }
      next.add(id);
    }
    List<String> ids = next.stream().sorted().toList();
    set(ids.isEmpty() ? BackendState.of(BackendStatus.IDLE, null) : ready(ids));
  }

  @Override
  public List<DiscoveredModel> models() {
    Set<String> ids = new java.util.TreeSet<>(state.models());
    if (modelDir != null) {
      ids.addAll(discovered());
    }
    return ids.stream().map(id -> new DiscoveredModel(id, List.of(), -1)).toList();
  }

  private List<String> discovered() {
    return discovery.discover(Objects.requireNonNull(modelDir)).stream()
        .map(DiscoveredModel::id)
        .toList();
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
    if (state.status() != BackendStatus.READY) {
      throw new SupervisorException(
          SupervisorException.Reason.NO_BACKEND,
          "no live Shimmy instance (" + state.status().wireName() + ")");
    }
    URI base = URI.create("http://127.0.0.1:" + state.port());
    return new Lease() {
      @Override
      public URI baseUrl() {
        return base;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Lease acquire(Duration wait) {
    return acquire();
  }

  @Override
  public void stop() {
    set(BackendState.of(BackendStatus.STOPPED, null));
  }

  private static BackendState ready(List<String> ids) {
    return new BackendState(BackendStatus.READY, 4242L, 41234, 0, null, null, ids, List.of());
  }

  private void set(BackendState next) {
    state = next;
    listeners.forEach(l -> l.accept(next));
  }
}
