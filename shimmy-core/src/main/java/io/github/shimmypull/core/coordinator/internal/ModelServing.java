package io.github.shimmypull.core.coordinator.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.internal.PullMetrics;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the models of the directory servable, for pulls, deletes and reconciles alike: discovers
 * the directory, has the supervisor refresh (warming a model when asked), tells which models are
 * servable and served, and puts supervisor failures into words.
 */
public final class ModelServing {

  private static final Logger LOG = LoggerFactory.getLogger(ModelServing.class);

  private final Path modelDir;
  private final DiscoveryRunner discovery;
  private final ShimmySupervisor supervisor;
  private final Duration readyTimeout;
  private final PullMetrics metrics;

  public ModelServing(
      Path modelDir,
      DiscoveryRunner discovery,
      ShimmySupervisor supervisor,
      Duration readyTimeout,
      PullMetrics metrics) {
    this.modelDir = modelDir;
    this.discovery = discovery;
    this.supervisor = supervisor;
    this.readyTimeout = readyTimeout;
    this.metrics = metrics;
  }

  /**
   * Makes the pulled model servable: discovers the directory, then asks the supervisor to refresh
   * (replace the model's running instance blue-green when its files changed; other instances are
   * not touched) and to warm the model when there is room. Returns once a request naming the model
   * will be answered by it: its instance is ready, or the supervisor's discovery lists it and a
   * request starts it on demand. A re-pull that changed nothing on disk of a model the supervisor
   * already lists asks for nothing.
   *
   * @param jobId the pull's job id, for the log
   * @param events where the discovering and making-servable events go (the job)
   */
  public void serve(String jobId, PullResult result, PullListener events) {
    String modelId = result.modelId();
    events.onEvent(new PullEvent.Discovering());
    long phaseStart = System.nanoTime();
    List<String> ids = discoverIds();
    metrics.phase("discover", Duration.ofNanos(System.nanoTime() - phaseStart));
    if (!ids.contains(modelId)) {
      throw new PullException(
          Reason.BACKEND,
          "Shimmy's discovery does not list the pulled model '"
              + modelId
              + "' (it finds "
              + ids
              + ")");
    }
    if (!result.downloaded() && servable(modelId)) {
      LOG.info(
          "pull {}: {} was already present and is servable; nothing to refresh", jobId, modelId);
      return;
    }
    events.onEvent(new PullEvent.MakingServable(modelId, ids));
    phaseStart = System.nanoTime();
    refresh(Set.of(modelId), "pull");
    metrics.phase("serve", Duration.ofNanos(System.nanoTime() - phaseStart));
    if (!servable(modelId)) {
      throw new PullException(
          Reason.BACKEND,
          "the supervisor refreshed but does not list '"
              + modelId
              + "' (it lists "
              + servableIds()
              + ")");
    }
  }

  /**
   * Has the supervisor refresh its instances, warming {@code warm}; counts the refresh under {@code
   * trigger} (pull, delete, reconcile).
   */
  public void refresh(Set<String> warm, String trigger) {
    LOG.info("refreshing the Shimmy instances after a {} (warm: {})", trigger, warm);
    try {
      supervisor.refresh(warm, readyTimeout);
      metrics.refresh(trigger, true);
    } catch (RuntimeException e) {
      metrics.refresh(trigger, false);
      throw e;
    }
  }

  /**
   * Whether the supervisor's discovery lists {@code modelId}: a request for it is answered by it.
   */
  public boolean servable(String modelId) {
    return servableIds().contains(modelId);
  }

  /** The ids the supervisor's discovery lists. */
  public List<String> servableIds() {
    return supervisor.models().stream().map(DiscoveredModel::id).toList();
  }

  /**
   * The models whose instances are ready now (for an externally managed or single-instance backend,
   * the ids its live instance serves).
   */
  public List<String> stillServing() {
    List<String> ready =
        supervisor.instances().stream()
            .filter(i -> i.status() == BackendStatus.READY)
            .map(InstanceState::model)
            .toList();
    if (!ready.isEmpty()) {
      return ready;
    }
    BackendState state = supervisor.state();
    return state.status() == BackendStatus.READY ? state.models() : List.of();
  }

  /** Any failure of an operation as the {@link PullException} its caller reports. */
  public PullException asPullException(RuntimeException e) {
    if (e instanceof PullException pe) {
      return pe;
    }
    if (e instanceof SupervisorException se) {
      return backendFailure(se);
    }
    if (e instanceof UncheckedIOException io) {
      // UncheckedIOException requires its cause, but Throwable.getCause() is declared nullable.
      Throwable cause = Objects.requireNonNullElse(io.getCause(), io);
      return new PullException(Reason.IO, String.valueOf(cause.getMessage()), e);
    }
    LOG.error("unexpected failure", e);
    return new PullException(Reason.IO, "unexpected failure: " + e, e);
  }

  /** A supervisor failure in words: what happened, exit code, output tail, what is still served. */
  public PullException backendFailure(SupervisorException e) {
    StringBuilder message = new StringBuilder("Shimmy did not come up: ");
    message.append(e.getMessage());
    if (e.exitCode() != null) {
      message.append("; exit code ").append(e.exitCode());
    }
    List<String> tail = e.outputTail();
    if (!tail.isEmpty()) {
      List<String> last = tail.subList(Math.max(0, tail.size() - 10), tail.size());
      message.append("; output: ").append(String.join(" | ", last));
    }
    List<String> serving = stillServing();
    if (!serving.isEmpty()) {
      message.append("; still serving ").append(serving);
    }
    return new PullException(Reason.BACKEND, message.toString(), e);
  }

  private List<String> discoverIds() {
    return discovery.discover(modelDir).stream()
        .map(DiscoveredModel::id)
        .sorted()
        .distinct()
        .toList();
  }
}
