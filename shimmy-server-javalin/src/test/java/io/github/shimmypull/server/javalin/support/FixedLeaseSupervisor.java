package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A supervisor that always leases one fixed, externally run backend serving {@value #MODEL},
 * counting leases the way a real supervisor must (one atomic add on acquire and on release), so the
 * proxy benchmark pays that cost too and tests can see when a lease is released.
 */
public final class FixedLeaseSupervisor implements ShimmySupervisor {

  /** The one model it serves. */
  public static final String MODEL = "bench-model";

  private static final List<DiscoveredModel> MODELS =
      List.of(new DiscoveredModel(MODEL, List.of(), -1));

  private final URI baseUrl;
  private final LongAdder open = new LongAdder();

  public FixedLeaseSupervisor(URI baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** Leases acquired and not closed yet. */
  public long openLeases() {
    return open.sum();
  }

  @Override
  public Lease acquire() {
    open.increment();
    return new Lease() {
      private boolean closed;

      @Override
      public URI baseUrl() {
        return baseUrl;
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          open.decrement();
        }
      }
    };
  }

  @Override
  public Lease acquire(Duration wait) {
    return acquire();
  }

  @Override
  public Lease acquire(String model, Duration wait) {
    return acquire();
  }

  @Override
  public @Nullable Lease tryAcquire(String model) {
    return model.equals(MODEL) ? acquire() : null;
  }

  @Override
  public List<DiscoveredModel> models() {
    return MODELS;
  }

  @Override
  public void start() {}

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {}

  @Override
  public BackendState state() {
    return new BackendState(
        BackendStatus.READY, null, null, 0, null, null, List.of(MODEL), List.of());
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {}

  @Override
  public void stop() {}
}
