package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A supervisor that records every restart and serves exactly the ids it was asked for, or fails a
 * restart the way a Shimmy that exits would (the old set stays served, as blue-green does).
 */
public final class RecordingSupervisor implements ShimmySupervisor {

  private final List<List<String>> restarts = new CopyOnWriteArrayList<>();
  private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
  private volatile BackendState state = BackendState.of(BackendStatus.STOPPED, null);
  private volatile @Nullable SupervisorException restartFailure;
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
    running.add(new InstanceState(model, BackendStatus.READY, 4242L, 41000, java.time.Instant.EPOCH,
        null, 0, null, 0, null, 123));
  }

  @Override
  public boolean unload(String model) {
    unloads.add(model);
    return running.removeIf(instance -> instance.model().equals(model));
  }

  /** Serves {@code ids} from now on (as if started earlier). */
  public RecordingSupervisor serving(List<String> ids) {
    set(ids.isEmpty() ? BackendState.of(BackendStatus.IDLE, null) : ready(ids));
    return this;
  }

  /** Puts the backend into {@code status}. */
  public RecordingSupervisor inState(BackendStatus status, @Nullable String reason) {
    set(new BackendState(status, null, null, 0, 1, reason, state.models(), List.of()));
    return this;
  }

  /** Makes every following restart fail with {@code failure}. */
  public RecordingSupervisor failRestarts(@Nullable SupervisorException failure) {
    this.restartFailure = failure;
    return this;
  }

  /** The id sets of every restart asked for, in order. */
  public List<List<String>> restarts() {
    return new ArrayList<>(restarts);
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
    List<String> ids = List.copyOf(expectedIds);
    restarts.add(ids);
    SupervisorException failure = restartFailure;
    if (failure != null) {
      throw failure;
    }
    set(ids.isEmpty() ? BackendState.of(BackendStatus.IDLE, null) : ready(ids));
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
      throw new SupervisorException(SupervisorException.Reason.NO_BACKEND, "no live Shimmy instance (" + state.status().wireName() + ")");
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
