package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A supervisor test double that hands out leases on scripted base URLs and counts them: open
 * leases, acquisitions, the waits asked for. With no URL it answers NO_BACKEND; while "starting" it
 * blocks acquire(wait) until {@link #ready(URI)} or the wait ends.
 */
public final class LeasingSupervisor implements ShimmySupervisor {

  private final Deque<URI> scripted = new ArrayDeque<>();
  private @Nullable URI live;
  private boolean starting;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger acquired = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final List<Duration> waits = new CopyOnWriteArrayList<>();
  private List<String> models = List.of();

  public static LeasingSupervisor live(URI baseUrl) {
    LeasingSupervisor supervisor = new LeasingSupervisor();
    supervisor.live = baseUrl;
    return supervisor;
  }

  public static LeasingSupervisor none() {
    return new LeasingSupervisor();
  }

  public static LeasingSupervisor starting() {
    LeasingSupervisor supervisor = new LeasingSupervisor();
    supervisor.starting = true;
    return supervisor;
  }

  /** The next acquisitions return these URLs first, in order, then the live one. */
  public synchronized LeasingSupervisor thenLive(URI first, URI live) {
    scripted.add(first);
    this.live = live;
    return this;
  }

  /**
   * The models it reports as served (default none: requests naming no model lease any instance).
   */
  public synchronized LeasingSupervisor serving(String... ids) {
    models = List.of(ids);
    return this;
  }

  @Override
  public synchronized List<DiscoveredModel> models() {
    return models.stream().map(id -> new DiscoveredModel(id, List.of(), -1)).toList();
  }

  public synchronized void ready(URI baseUrl) {
    live = baseUrl;
    starting = false;
    notifyAll();
  }

  public int openLeases() {
    return open.get();
  }

  public int acquisitions() {
    return acquired.get();
  }

  public int waiting() {
    return waiting.get();
  }

  public List<Duration> waits() {
    return new ArrayList<>(waits);
  }

  @Override
  public Lease acquire() {
    return acquire(Duration.ZERO);
  }

  @Override
  public synchronized Lease acquire(Duration wait) {
    waits.add(wait);
    long deadline = System.nanoTime() + wait.toNanos();
    waiting.incrementAndGet();
    try {
      while (starting && System.nanoTime() < deadline) {
        long millis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        wait(millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      waiting.decrementAndGet();
    }
    URI url = scripted.isEmpty() ? live : scripted.poll();
    if (url == null) {
      throw new SupervisorException(SupervisorException.Reason.NO_BACKEND, "Shimmy is not running");
    }
    acquired.incrementAndGet();
    open.incrementAndGet();
    AtomicBoolean closed = new AtomicBoolean();
    return new Lease() {
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
  public void start() {}

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {}

  @Override
  public synchronized BackendState state() {
    BackendStatus status =
        starting ? BackendStatus.STARTING : live != null ? BackendStatus.READY : BackendStatus.IDLE;
    return BackendState.of(status, null);
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {}

  @Override
  public void stop() {}
}
