package io.github.shimmypull.spring;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Hand-written stand-ins that record how the auto-configuration uses them. */
final class TestBackends {

  private TestBackends() {}

  /** A supervisor that records start and stop and never has a live instance. */
  static class RecordingSupervisor implements ShimmySupervisor {
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger stops = new AtomicInteger();
    private volatile BackendState state = BackendState.of(BackendStatus.STOPPED, null);

    @Override
    public void start() {
      starts.incrementAndGet();
      state = BackendState.of(BackendStatus.IDLE, null);
    }

    @Override
    public void restart(Collection<String> expectedIds, Duration timeout) {
      throw new SupervisorException(SupervisorException.Reason.STOPPED, "not in this test");
    }

    @Override
    public BackendState state() {
      return state;
    }

    @Override
    public void addListener(Consumer<BackendState> listener) {}

    @Override
    public Lease acquire() {
      throw new SupervisorException(
          SupervisorException.Reason.NO_BACKEND, "no backend in this test");
    }

    @Override
    public Lease acquire(Duration wait) {
      return acquire();
    }

    @Override
    public void stop() {
      stops.incrementAndGet();
      state = BackendState.of(BackendStatus.STOPPED, null);
    }
  }

  /** A puller that records what it was asked to prepare and finds nothing. */
  static final class RecordingPuller implements ModelPuller {
    final List<ModelRef> prepared = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public PreparedPull prepare(ModelRef ref, boolean force) {
      prepared.add(ref);
      throw new PullException(PullException.Reason.NOT_FOUND, "no such repo in this test: " + ref);
    }

    @Override
    public PullResult pull(
        PreparedPull pull, PullListener listener, PullCancellation cancellation) {
      throw new PullException(PullException.Reason.NOT_FOUND, "no such repo in this test");
    }
  }

  /** An empty model directory. */
  static final class NoModels implements LocalModels {
    @Override
    public List<LocalModel> list() {
      return List.of();
    }

    @Override
    public LocalModel delete(String id) {
      throw new PullException(PullException.Reason.NOT_FOUND, "no model " + id);
    }
  }
}
