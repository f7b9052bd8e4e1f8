package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.coordinator.internal.DirectoryOperation;
import io.github.shimmypull.core.coordinator.internal.DirectoryReconciler;
import io.github.shimmypull.core.coordinator.internal.ModelServing;
import io.github.shimmypull.core.coordinator.internal.Quarantine;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.internal.DaemonThreads;
import io.github.shimmypull.core.internal.PullMetrics;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs pulls on one model directory, one at a time, from the request to the model being servable:
 * lock → resolve → download, verify, publish → discover → refresh the supervisor (warming the
 * model's instance when there is room) → complete. It also deletes models, has the supervisor
 * refresh when files come and go by other means, and preloads declared models before Shimmy starts.
 *
 * <p><b>One Shimmy per model.</b> Nothing here restarts a running instance of another model: a
 * pull, a delete or a file change calls {@link ShimmySupervisor#refresh}, which replaces only the
 * instance whose files changed (blue-green, drained) and stops the instance of a removed model.
 * Framework-neutral: {@code ShimmyHttpApi} puts HTTP in front of it.
 *
 * <p><b>One operation at a time.</b> A pull, a delete or a reconcile holds the directory lock: an
 * in-process owner plus a {@link java.nio.channels.FileChannel#tryLock() file lock} on {@code
 * <model-dir>/.shimmy-pull/pull.lock}, so several processes sharing the directory (replicas on a
 * shared volume, an init container) never pull at the same time either. A request for another model
 * while a pull runs fails with {@link Reason#CONFLICT} naming the running job; a request for the
 * same model attaches to the running job.
 *
 * <p><b>Lifecycle.</b> {@link #preload} (optional) → {@link #start()} (starts the supervisor and
 * the directory watcher) → {@link #submit}… → {@link #close()} (cancels a running pull keeping its
 * partial, stops the watcher and the supervisor). *
 *
 * <p>This class is the facade and the wiring: the job registry and the pull execution are
 * package-private classes here, model serving, quarantine and the reconciler are in {@code
 * coordinator.internal}.
 */
public final class PullCoordinator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PullCoordinator.class);

  /**
   * Default for {@link Builder#readyTimeout}: how long a new or replaced instance may take to
   * serve.
   */
  public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(120);

  /** Default for {@link Builder#recentJobs}: how many ended jobs are kept for status queries. */
  public static final int DEFAULT_RECENT_JOBS = 10;

  /** Default for {@link Builder#watchDebounce}: a change must be stable this long. */
  public static final Duration DEFAULT_WATCH_DEBOUNCE = Duration.ofSeconds(2);

  /** Default for {@link Builder#scanInterval}: the periodic scan behind the watcher. */
  public static final Duration DEFAULT_SCAN_INTERVAL = Duration.ofSeconds(30);

  /** Default for {@link Builder#preloadLockWait}: how long a preload waits for another process. */
  public static final Duration DEFAULT_PRELOAD_LOCK_WAIT = Duration.ofMinutes(60);

  private final Path modelDir;
  private final ShimmySupervisor supervisor;
  private final LocalModels localModels;
  private final Duration readyTimeout;
  private final boolean watch;
  private final @Nullable ExecutorService ownedExecutor;
  private final JobRegistry registry;
  private final ModelServing serving;
  private final DirectoryReconciler reconciler;
  private final PullExecution execution;
  private boolean started;

  private PullCoordinator(Builder b) {
    this.modelDir = Objects.requireNonNull(b.modelDir, "modelDir").toAbsolutePath().normalize();
    ModelPuller puller = Objects.requireNonNull(b.puller, "puller");
    DiscoveryRunner discovery = Objects.requireNonNull(b.discovery, "discovery");
    this.supervisor = Objects.requireNonNull(b.supervisor, "supervisor");
    this.localModels = Objects.requireNonNull(b.localModels, "localModels");
    this.readyTimeout = b.readyTimeout;
    this.watch = b.watch;
    Executor executor;
    if (b.executor != null) {
      executor = b.executor;
      this.ownedExecutor = null;
    } else {
      ExecutorService pool = Executors.newCachedThreadPool(DaemonThreads.named("shimmy-pull-job"));
      executor = pool;
      this.ownedExecutor = pool;
    }
    PullMetrics metrics = PullMetrics.of(b.meterRegistry);
    this.registry = new JobRegistry(modelDir, b.clock, b.recentJobs);
    this.serving = new ModelServing(modelDir, discovery, supervisor, readyTimeout, metrics);
    this.reconciler =
        new DirectoryReconciler(
            modelDir,
            supervisor,
            serving,
            registry::tryBeginReconcile,
            b.watchDebounce,
            b.scanInterval);
    this.execution =
        new PullExecution(
            puller,
            registry,
            serving,
            new Quarantine(modelDir, supervisor, readyTimeout, serving),
            metrics,
            executor,
            b.clock,
            reconciler::markHandled,
            b.preloadLockWait);
    try {
      Files.createDirectories(modelDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create model directory " + modelDir, e);
    }
    metrics.bindGauges(supervisor, () -> current().isPresent());
  }

  /** A new builder; modelDir, puller, discovery, supervisor and localModels are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The model directory (absolute). */
  public Path modelDir() {
    return modelDir;
  }

  /** The supervised backend. */
  public ShimmySupervisor supervisor() {
    return supervisor;
  }

  /** How long a new or replaced Shimmy instance may take to serve. */
  public Duration readyTimeout() {
    return readyTimeout;
  }

  /** Whether {@link #close()} was called: the service is stopping. */
  public boolean isClosed() {
    return registry.isClosed();
  }

  /**
   * Starts the supervisor (which stays idle while the directory holds no model) and the directory
   * watcher. Call after {@link #preload}. Idempotent.
   */
  public synchronized void start() {
    if (started || registry.isClosed()) {
      return;
    }
    started = true;
    supervisor.start();
    if (watch) {
      reconciler.startWatching();
    }
    LOG.info("pull coordinator started on {} (ready timeout {})", modelDir, readyTimeout);
  }

  /** Submits a pull; see {@link #submit(PullRequest)}. */
  public PullJob submit(ModelRef ref, boolean force) {
    return submit(new PullRequest(ref, force));
  }

  /**
   * Starts a pull, or attaches to the running pull of the same model. Everything that can be
   * answered with a plain status happens before this returns: the lock (409), resolution against
   * the Hub (403, 404, 502) and the disk space check (507). The download, verification, discovery
   * and refresh then run in the background; follow them with {@link PullJob#subscribe} or wait with
   * {@link PullJob#await()}.
   *
   * @throws PullException CONFLICT when another model is being pulled here or by another process
   *     (its {@link PullException#details()} name the running job as {@code running}), or the
   *     resolution failure of this (or the attached) pull
   */
  public PullJob submit(PullRequest request) {
    return execution.submit(request);
  }

  /** The running pull, if any. */
  public Optional<PullJob> current() {
    return registry.current();
  }

  /** The ended jobs kept for status queries, newest first (at most {@code recentJobs}). */
  public List<PullJob> recent() {
    return registry.recent();
  }

  /** The job with this id, running or recent. */
  public Optional<PullJob> job(String id) {
    return registry.job(id);
  }

  /**
   * Cancels the running pull. The partial download stays for a later resume unless {@code
   * discardPartial}. Returns at once; {@link PullJob#await()} waits for the job's end.
   *
   * @throws PullException NOT_FOUND when no pull is running
   */
  public PullJob cancel(boolean discardPartial) {
    PullJob job =
        current().orElseThrow(() -> new PullException(Reason.NOT_FOUND, "no pull is running"));
    LOG.info("cancelling {} (discard partial: {})", job, discardPartial);
    job.cancellation().cancel(discardPartial);
    return job;
  }

  /** The models in the model directory, sorted by id. */
  public List<LocalModel> localModels() {
    return localModels.list();
  }

  /**
   * Deletes a model's files, then has the supervisor refresh: the model's instance, if it runs, is
   * drained and stopped; instances of other models are not touched.
   *
   * @return the deleted model
   * @throws PullException NOT_FOUND when there is no such model, CONFLICT while a pull runs,
   *     BACKEND when the supervisor failed to refresh (the files are gone regardless)
   */
  public LocalModel deleteModel(String id) {
    DirectoryOperation operation = registry.beginDelete(id);
    try {
      LocalModel deleted = localModels.delete(id);
      LOG.info(
          "deleted model {} ({}, {} bytes)", deleted.id(), deleted.files(), deleted.sizeBytes());
      serving.refresh(Set.of(), "delete");
      reconciler.markHandled();
      return deleted;
    } catch (SupervisorException e) {
      throw serving.backendFailure(e);
    } finally {
      operation.close();
    }
  }

  /**
   * Has the supervisor refresh after files came, changed or went by other means (the watcher calls
   * this once a change is stable): a running instance whose files changed is replaced blue-green, a
   * running instance whose model is gone is drained and stopped, new models become servable on
   * demand; nothing is warmed and other instances are not touched. Skipped while a pull or another
   * operation runs (also in another process).
   *
   * @return whether the change is handled (false: try again later)
   */
  public boolean reconcile() {
    return reconciler.reconcile();
  }

  /**
   * Makes sure each model is present and verified before Shimmy starts (call before {@link
   * #start()}): pulls what is missing, skips what is present. The supervisor is not asked to
   * refresh: it discovers the directory when it starts. Waits up to {@code preloadLockWait} for a
   * pull of another process on the same directory. Failures are logged and reported; the remaining
   * models are still preloaded.
   */
  public List<PreloadResult> preload(List<ModelRef> refs) {
    return execution.preload(refs);
  }

  /**
   * Cancels a running pull (keeping its partial), stops the watcher, the supervisor and the job
   * threads this coordinator created. Idempotent.
   */
  @Override
  public void close() {
    PullJob job;
    synchronized (this) {
      if (registry.isClosed()) {
        return;
      }
      job = registry.close();
    }
    reconciler.close();
    if (job != null) {
      job.cancellation().cancel(false);
    }
    supervisor.stop();
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  /** Builds a {@link PullCoordinator}. */
  public static final class Builder {
    private @Nullable Path modelDir;
    private @Nullable ModelPuller puller;
    private @Nullable DiscoveryRunner discovery;
    private @Nullable ShimmySupervisor supervisor;
    private @Nullable LocalModels localModels;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
    private int recentJobs = DEFAULT_RECENT_JOBS;
    private Duration watchDebounce = DEFAULT_WATCH_DEBOUNCE;
    private Duration scanInterval = DEFAULT_SCAN_INTERVAL;
    private boolean watch = true;
    private Duration preloadLockWait = DEFAULT_PRELOAD_LOCK_WAIT;
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable Executor executor;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The model directory Shimmy scans (created if missing). Required. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = modelDir;
      return this;
    }

    /** Resolves and downloads models. Required. */
    public Builder puller(ModelPuller puller) {
      this.puller = puller;
      return this;
    }

    /** Tells which ids Shimmy will serve from the directory. Required. */
    public Builder discovery(DiscoveryRunner discovery) {
      this.discovery = discovery;
      return this;
    }

    /** The Shimmy instances to refresh after pulls, deletes and file changes. Required. */
    public Builder supervisor(ShimmySupervisor supervisor) {
      this.supervisor = supervisor;
      return this;
    }

    /** Lists and deletes the models of the directory. Required. */
    public Builder localModels(LocalModels localModels) {
      this.localModels = localModels;
      return this;
    }

    /** How long a new or replaced Shimmy instance may take to serve; default 120 s. */
    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = positive(readyTimeout, "readyTimeout");
      return this;
    }

    /** How many ended jobs are kept for status queries; default 10. */
    public Builder recentJobs(int recentJobs) {
      if (recentJobs < 0) {
        throw new IllegalArgumentException("recentJobs must be >= 0, not " + recentJobs);
      }
      this.recentJobs = recentJobs;
      return this;
    }

    /** How long a change in the directory must be stable before it is acted on; default 2 s. */
    public Builder watchDebounce(Duration watchDebounce) {
      this.watchDebounce = positive(watchDebounce, "watchDebounce");
      return this;
    }

    /** Interval of the periodic scan behind the file watcher; default 30 s. */
    public Builder scanInterval(Duration scanInterval) {
      this.scanInterval = positive(scanInterval, "scanInterval");
      return this;
    }

    /** Whether the directory is watched and scanned at all (reconcile); default true. */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /** How long a preload waits for an operation of another process; default 60 min. */
    public Builder preloadLockWait(Duration preloadLockWait) {
      this.preloadLockWait = positive(preloadLockWait, "preloadLockWait");
      return this;
    }

    /** Where the pull meters go; default none. */
    public Builder meterRegistry(@Nullable MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /** Runs the background part of pulls; default a daemon thread per job, shut down on close. */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** The clock of job timestamps; default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public PullCoordinator build() {
      return new PullCoordinator(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, not " + d);
      }
      return d;
    }
  }
}
