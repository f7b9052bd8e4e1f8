package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A supervisor with one instance per model, as the new contract describes: {@code acquire(model,
 * wait)} leases the base URL scripted for that model (MODEL_NOT_FOUND for others), counting open
 * leases; {@code load}/{@code unload} are recorded; {@code instances()} is scripted. Everything
 * else (state, restarts) goes to {@code delegate}, the supervisor the coordinator restarts.
 */
public final class ModelInstances implements ShimmySupervisor {

  private final ShimmySupervisor delegate;
  private final Map<String, URI> urls = new ConcurrentHashMap<>();
  private final List<InstanceState> instances = new CopyOnWriteArrayList<>();
  private final List<String> acquired = new CopyOnWriteArrayList<>();
  private final List<String> loaded = new CopyOnWriteArrayList<>();
  private final List<String> unloaded = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();

  public ModelInstances(ShimmySupervisor delegate) {
    this.delegate = delegate;
  }

  /** Requests for {@code model} go to {@code baseUrl}. */
  public ModelInstances serve(String model, URI baseUrl) {
    urls.put(model, baseUrl);
    return this;
  }

  /** What {@link #instances()} answers. */
  public ModelInstances running(InstanceState... states) {
    instances.clear();
    instances.addAll(List.of(states));
    return this;
  }

  public List<String> acquired() {
    return new ArrayList<>(acquired);
  }

  public List<String> loaded() {
    return new ArrayList<>(loaded);
  }

  public List<String> unloaded() {
    return new ArrayList<>(unloaded);
  }

  public int openLeases() {
    return open.get();
  }

  @Override
  public Lease acquire(String model, Duration wait) {
    acquired.add(model);
    URI url = urls.get(model);
    if (url == null) {
      throw new SupervisorException(
          SupervisorException.Reason.MODEL_NOT_FOUND, "no instance for " + model);
    }
    open.incrementAndGet();
    AtomicBoolean closed = new AtomicBoolean();
    return new Lease() {
      @Override
      public String model() {
        return model;
      }

      @Override
      public URI baseUrl() {
        return url;
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
  public void load(String model, Duration timeout) {
    loaded.add(model);
  }

  @Override
  public boolean unload(String model) {
    unloaded.add(model);
    return true;
  }

  @Override
  public List<InstanceState> instances() {
    return List.copyOf(instances);
  }

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {
    delegate.restart(expectedIds, timeout);
  }

  @Override
  public BackendState state() {
    return delegate.state();
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {
    delegate.addListener(listener);
  }

  @Override
  public Lease acquire() {
    return delegate.acquire();
  }

  @Override
  public Lease acquire(Duration wait) {
    return delegate.acquire(wait);
  }

  @Override
  public void stop() {
    delegate.stop();
  }
}
