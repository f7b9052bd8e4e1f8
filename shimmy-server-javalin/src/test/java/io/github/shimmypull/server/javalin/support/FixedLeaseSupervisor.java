package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A supervisor that always leases one fixed, externally run backend, counting leases the way a real
 * supervisor must (one atomic add on acquire and on release), so the proxy benchmark pays that cost
 * too and tests can see when a lease is released.
 */
public final class FixedLeaseSupervisor implements ShimmySupervisor {

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
  public void start() {}

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {}

  @Override
  public BackendState state() {
    return BackendState.of(BackendStatus.READY, null);
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {}

  @Override
  public void stop() {}
}
