package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.internal.ModelDirWatcher;
import io.github.shimmypull.core.internal.PullMetrics;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.pull.LocalModel;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
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
 * instance whose files changed (blue-green, drained) and stops the instance of a removed model. Framework-neutral: {@code
 * ShimmyHttpApi} puts HTTP in front of it.
 *
 * <p><b>One operation at a time.</b> A pull, a delete or a reconcile holds the directory lock: an
 * in-process owner plus a {@link java.nio.channels.FileChannel#tryLock() file lock} on {@code
 * <model-dir>/.shimmy-pull/pull.lock}, so several processes sharing the directory (replicas on a
 * shared volume, an init container) never pull at the same time either. A request for another
 * model while a pull runs fails with {@link Reason#CONFLICT} naming the running job; a request for
 * the same model attaches to the running job.
 *
 * <p><b>Lifecycle.</b> {@link #preload} (optional) → {@link #start()} (starts the supervisor and the
 * directory watcher) → {@link #submit}… → {@link #close()} (cancels a running pull keeping its
 * partial, stops the watcher and the supervisor).
 */
public final class PullCoordinator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PullCoordinator.class);

  /** Default for {@link Builder#readyTimeout}: how long a new or replaced instance may take to serve. */
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
  private final ModelPuller puller;
  private final DiscoveryRunner discovery;
  private final ShimmySupervisor supervisor;
  private final LocalModels localModels;
  private final Duration readyTimeout;
  private final int recentJobs;
  private final Duration watchDebounce;
  private final Duration scanInterval;
  private final boolean watch;
  private final Duration preloadLockWait;
  private final Clock clock;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final PullMetrics metrics;
  private final ModelDirectoryLock lock;

  private final Deque<PullJob> recent = new ArrayDeque<>();
  private @Nullable PullJob running;
  private @Nullable String operation;
  private @Nullable ModelDirWatcher watcher;
  private boolean started;
  private volatile boolean closed;

  private PullCoordinator(Builder b) {
    this.modelDir = Objects.requireNonNull(b.modelDir, "modelDir").toAbsolutePath().normalize();
    this.puller = Objects.requireNonNull(b.puller, "puller");
    this.discovery = Objects.requireNonNull(b.discovery, "discovery");
    this.supervisor = Objects.requireNonNull(b.supervisor, "supervisor");
    this.localModels = Objects.requireNonNull(b.localModels, "localModels");
    this.readyTimeout = b.readyTimeout;
    this.recentJobs = b.recentJobs;
    this.watchDebounce = b.watchDebounce;
    this.scanInterval = b.scanInterval;
    this.watch = b.watch;
    this.preloadLockWait = b.preloadLockWait;
    this.clock = b.clock;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      ExecutorService pool =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "shimmy-pull-job");
                t.setDaemon(true);
                return t;
              });
      this.executor = pool;
      this.ownedExecutor = pool;
    }
    this.metrics = PullMetrics.of(b.meterRegistry);
    this.lock = new ModelDirectoryLock(modelDir);
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
    return closed;
  }

  /**
   * Starts the supervisor (which stays idle while the directory holds no model) and the directory
   * watcher. Call after {@link #preload}. Idempotent.
   */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    started = true;
    supervisor.start();
    if (watch) {
      ModelDirWatcher w = new ModelDirWatcher(modelDir, watchDebounce, scanInterval, this::reconcile);
      w.start();
      watcher = w;
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
    ModelRef ref = request.ref();
    PullJob job;
    PullJob attachTo = null;
    PullJob resolveToCompare = null;
    ModelDirectoryLock.Held held = null;
    synchronized (this) {
      if (closed) {
        throw new PullException(Reason.BACKEND, "the service is stopping");
      }
      PullJob active = running;
      if (active != null) {
        if (sameModel(ref, active)) {
          attachTo = active;
        } else if (ref.repo().equalsIgnoreCase(active.ref().repo())) {
          resolveToCompare = active;
        } else {
          throw conflict(active);
        }
        job = active;
      } else {
        if (operation != null) {
          throw busy(operation);
        }
        String id = newJobId();
        held = tryLock(holder("pull", ref.toString(), id));
        if (held == null) {
          throw otherProcessConflict();
        }
        job = new PullJob(id, ref, request.force(), clock.instant());
        running = job;
      }
    }
    if (resolveToCompare != null) {
      attachTo = sameResolution(request, resolveToCompare);
      if (attachTo == null) {
        return submit(request);
      }
    }
    if (attachTo != null) {
      LOG.info("attaching a request for {} to running {}", ref, attachTo);
      try {
        attachTo.awaitPrepared();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + attachTo);
      }
      return attachTo;
    }
    return start(job, Objects.requireNonNull(held));
  }

  private PullJob start(PullJob job, ModelDirectoryLock.Held held) {
    long startNanos = System.nanoTime();
    ModelRef ref = job.ref();
    job.emit(new PullEvent.Starting(ref.toString()));
    job.emit(new PullEvent.Resolving(ref.repo(), ref.revisionOrDefault()));
    PreparedPull prepared;
    try {
      prepared = puller.prepare(ref, job.force(), job.cancellation());
    } catch (RuntimeException e) {
      PullException failure = asPullException(e);
      job.prepareFailed(failure);
      finish(job, held, null, failure, startNanos);
      throw failure;
    }
    metrics.phase("resolve", Duration.ofNanos(System.nanoTime() - startNanos));
    job.prepared(prepared);
    LOG.info(
        "pull {}: {} resolved to {}@{} ({} file(s), {} bytes to download) as model {}",
        job.id(), ref, ref.repo(), prepared.commit(), prepared.files().size(),
        prepared.bytesToDownload(), prepared.modelId());
    try {
      executor.execute(() -> run(job, prepared, held, startNanos));
    } catch (RuntimeException e) {
      PullException failure =
          new PullException(closed ? Reason.BACKEND : Reason.IO, "cannot start the pull: " + e, e);
      finish(job, held, null, failure, startNanos);
      throw failure;
    }
    return job;
  }

  private void run(PullJob job, PreparedPull prepared, ModelDirectoryLock.Held held, long startNanos) {
    PullResult result = null;
    PullException failure = null;
    List<String> servingBefore = List.of();
    try {
      long phaseStart = System.nanoTime();
      result = puller.pull(prepared, downloadListener(job), job.cancellation());
      metrics.phase("download", Duration.ofNanos(System.nanoTime() - phaseStart));
      LOG.info(
          "pull {}: published {} ({} bytes, sha256 {}, commit {}, downloaded: {})",
          job.id(), result.files(), result.sizeBytes(), result.sha256(), result.revision(), result.downloaded());
      servingBefore = stillServing();
      serve(job, result);
    } catch (RuntimeException e) {
      PullException f = asPullException(e);
      if (result != null) {
        Path quarantined =
            e instanceof SupervisorException se && se.reason() == SupervisorException.Reason.EXITED
                ? quarantineIfRolledBack(job, result, servingBefore)
                : null;
        String where =
            quarantined != null
                ? " was moved to " + quarantined + " because Shimmy cannot start with it: "
                : " is published in the model directory, but ";
        f = new PullException(f.reason(), String.join(", ", result.files()) + where + f.getMessage(), f, f.details());
      }
      failure = f;
    }
    finish(job, held, result, failure, startNanos);
  }

  /**
   * Moves a freshly published model out of Shimmy's sight into {@code
   * <model-dir>/.shimmy-pull/quarantine/} when the Shimmy instance started for it exited before it
   * was ready while an instance of another model served just before or still serves (so Shimmy
   * itself works with this command, and the new files, alone in the instance's private directory,
   * are the cause), and the supervisor refreshes so that it no longer lists the model: the next
   * refresh does not trip on them again. Nothing moves when nothing
   * else served (the failure may have another cause), for a timeout (a slow or externally managed
   * Shimmy says nothing about the file) or when a move fails.
   *
   * @param servingBefore the models whose instances were ready before the refresh (the warm start
   *     may have stopped an idle one to make room)
   * @return the quarantine directory, or null when the files stay published
   */
  private @Nullable Path quarantineIfRolledBack(PullJob job, PullResult result, List<String> servingBefore) {
    Set<String> serving = new TreeSet<>(servingBefore);
    serving.addAll(stillServing());
    serving.remove(result.modelId());
    if (serving.isEmpty()) {
      return null;
    }
    Path quarantine = modelDir.resolve(".shimmy-pull").resolve("quarantine");
    try {
      Files.createDirectories(quarantine);
      for (String file : result.files()) {
        Path published = modelDir.resolve(file);
        if (Files.exists(published)) {
          Files.move(published, quarantine.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("pull {}: cannot quarantine {} in {}: {}", job.id(), result.files(), quarantine, e.toString());
      return null;
    }
    LOG.warn(
        "pull {}: Shimmy did not come up with {} ({}); moved {} to {}; it served {} before",
        job.id(), result.modelId(), result.revision(), result.files(), quarantine, serving);
    try {
      supervisor.refresh(Set.of(), readyTimeout);
    } catch (RuntimeException e) {
      LOG.warn("pull {}: refreshing after the quarantine of {} failed: {}", job.id(), result.modelId(), e.toString());
    }
    return quarantine;
  }

  /**
   * Makes the pulled model servable: discovers the directory, then asks the supervisor to refresh
   * (replace the model's running instance blue-green when its files changed; other instances are
   * not touched) and to warm the model when there is room. Returns once a request naming the model
   * will be answered by it: its instance is ready, or the supervisor's discovery lists it and a
   * request starts it on demand. A re-pull that changed nothing on disk of a model the supervisor
   * already lists asks for nothing.
   */
  private void serve(PullJob job, PullResult result) {
    String modelId = result.modelId();
    job.emit(new PullEvent.Discovering());
    long phaseStart = System.nanoTime();
    List<String> ids = discoverIds();
    metrics.phase("discover", Duration.ofNanos(System.nanoTime() - phaseStart));
    if (!ids.contains(modelId)) {
      throw new PullException(
          Reason.BACKEND,
          "Shimmy's discovery does not list the pulled model '" + modelId + "' (it finds " + ids + ")");
    }
    if (!result.downloaded() && servable(modelId)) {
      LOG.info("pull {}: {} was already present and is servable; nothing to refresh", job.id(), modelId);
      return;
    }
    job.emit(new PullEvent.MakingServable(modelId, ids));
    phaseStart = System.nanoTime();
    refresh(Set.of(modelId), "pull");
    metrics.phase("serve", Duration.ofNanos(System.nanoTime() - phaseStart));
    if (!servable(modelId)) {
      throw new PullException(
          Reason.BACKEND,
          "the supervisor refreshed but does not list '" + modelId + "' (it lists " + servableIds() + ")");
    }
  }

  /** Whether the supervisor's discovery lists {@code modelId}: a request for it is answered by it. */
  private boolean servable(String modelId) {
    return servableIds().contains(modelId);
  }

  private List<String> servableIds() {
    return supervisor.models().stream().map(DiscoveredModel::id).toList();
  }

  /**
   * The models whose instances are ready now (for an externally managed or single-instance
   * backend, the ids its live instance serves).
   */
  private List<String> stillServing() {
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

  /** Forwards the puller's events to the job (downloaded bytes are the puller's own meter). */
  private PullListener downloadListener(PullJob job) {
    return event -> {
      if (!(event instanceof PullEvent.Complete) && !(event instanceof PullEvent.Failed)) {
        job.emit(event);
      }
    };
  }

  private void finish(
      PullJob job,
      ModelDirectoryLock.Held held,
      @Nullable PullResult result,
      @Nullable PullException failure,
      long startNanos) {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    ModelDirWatcher w;
    synchronized (this) {
      held.close();
      if (running == job) {
        running = null;
      }
      recent.addFirst(job);
      while (recent.size() > recentJobs) {
        recent.removeLast();
      }
      w = watcher;
    }
    if (w != null && result != null) {
      w.markHandled();
    }
    metrics.pullEnded(failure, elapsed);
    if (failure == null && result != null) {
      LOG.info("pull {}: {} is served as '{}' after {} ms", job.id(), job.model(), result.modelId(), elapsed.toMillis());
      job.complete(result, clock.instant());
    } else {
      PullException f =
          failure != null ? failure : new PullException(Reason.IO, "the pull ended without a result");
      LOG.warn("pull {}: {} failed after {} ms: {} ({})", job.id(), job.model(), elapsed.toMillis(), f.getMessage(), f.reason().code());
      job.fail(f, clock.instant());
    }
  }

  /** The running pull, if any. */
  public synchronized Optional<PullJob> current() {
    return Optional.ofNullable(running);
  }

  /** The ended jobs kept for status queries, newest first (at most {@code recentJobs}). */
  public synchronized List<PullJob> recent() {
    return List.copyOf(recent);
  }

  /** The job with this id, running or recent. */
  public synchronized Optional<PullJob> job(String id) {
    if (running != null && running.id().equals(id)) {
      return Optional.of(running);
    }
    return recent.stream().filter(j -> j.id().equals(id)).findFirst();
  }

  /**
   * Cancels the running pull. The partial download stays for a later resume unless {@code
   * discardPartial}. Returns at once; {@link PullJob#await()} waits for the job's end.
   *
   * @throws PullException NOT_FOUND when no pull is running
   */
  public PullJob cancel(boolean discardPartial) {
    PullJob job = current().orElseThrow(() -> new PullException(Reason.NOT_FOUND, "no pull is running"));
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
   * @throws PullException NOT_FOUND when there is no such model, CONFLICT while a pull runs, BACKEND
   *     when the supervisor failed to refresh (the files are gone regardless)
   */
  public LocalModel deleteModel(String id) {
    ModelDirectoryLock.Held held;
    synchronized (this) {
      if (running != null) {
        throw conflict(running);
      }
      if (operation != null) {
        throw busy(operation);
      }
      held = tryLock(holder("delete", id, null));
      if (held == null) {
        throw otherProcessConflict();
      }
      operation = "deleting " + id;
    }
    try {
      LocalModel deleted = localModels.delete(id);
      LOG.info("deleted model {} ({}, {} bytes)", deleted.id(), deleted.files(), deleted.sizeBytes());
      refresh(Set.of(), "delete");
      markHandled();
      return deleted;
    } catch (SupervisorException e) {
      throw backendFailure(e);
    } finally {
      synchronized (this) {
        operation = null;
        held.close();
      }
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
    ModelDirectoryLock.Held held;
    synchronized (this) {
      if (closed || running != null || operation != null) {
        return false;
      }
      held = lock.tryAcquire(holder("reconcile", modelDir.toString(), null));
      if (held == null) {
        return false;
      }
      operation = "reconciling the model directory";
    }
    try {
      if (supervisor.state().status() == BackendStatus.STOPPED) {
        return true;
      }
      LOG.info("model directory {} changed: refreshing the Shimmy instances", modelDir);
      refresh(Set.of(), "reconcile");
      LOG.info("model directory {} refreshed: servable {}", modelDir, servableIds());
      return true;
    } catch (SupervisorException e) {
      LOG.warn("refreshing after a change of {} failed: {}", modelDir, backendFailure(e).getMessage());
      return true;
    } finally {
      synchronized (this) {
        operation = null;
        held.close();
      }
    }
  }

  /**
   * Makes sure each model is present and verified before Shimmy starts (call before {@link
   * #start()}): pulls what is missing, skips what is present. The supervisor is not asked to
   * refresh: it discovers the directory when it starts. Waits up to
   * {@code preloadLockWait} for a pull of another process on the same directory. Failures are
   * logged and reported; the remaining models are still preloaded.
   */
  public List<PreloadResult> preload(List<ModelRef> refs) {
    List<PreloadResult> results = new ArrayList<>();
    for (ModelRef ref : refs) {
      long startNanos = System.nanoTime();
      PullException failure = null;
      PullResult result = null;
      ModelDirectoryLock.Held held = null;
      try {
        held = lock.acquire(holder("preload", ref.toString(), null), preloadLockWait);
        if (held == null) {
          throw new PullException(
              Reason.CONFLICT,
              "the model directory stayed busy for " + preloadLockWait + ": " + describe(lock.describeHolder()));
        }
        PreparedPull prepared = puller.prepare(ref, false);
        LOG.info("preload: {} resolved to {}@{}, {} bytes to download", ref, ref.repo(), prepared.commit(), prepared.bytesToDownload());
        result = puller.pull(prepared, progressLogger(ref), new PullCancellation());
        LOG.info("preload: {} is present as {} ({} bytes, sha256 {})", ref, result.files(), result.sizeBytes(), result.sha256());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new PullException(Reason.CANCELLED, "preload of " + ref + " interrupted");
      } catch (RuntimeException e) {
        failure = asPullException(e);
      } finally {
        if (held != null) {
          held.close();
        }
      }
      if (failure != null) {
        LOG.error("preload: {} failed: {} ({})", ref, failure.getMessage(), failure.reason().code());
      }
      metrics.pullEnded(failure, Duration.ofNanos(System.nanoTime() - startNanos));
      results.add(new PreloadResult(ref, result, failure));
      if (Thread.currentThread().isInterrupted()) {
        break;
      }
    }
    return List.copyOf(results);
  }

  private static PullListener progressLogger(ModelRef ref) {
    int[] lastDecile = {-1};
    return event -> {
      if (event instanceof PullEvent.Downloading d && d.overallTotal() > 0) {
        int decile = (int) (d.overallCompleted() * 10 / d.overallTotal());
        if (decile != lastDecile[0]) {
          lastDecile[0] = decile;
          LOG.info("preload: {} {}% ({} of {} bytes)", ref, decile * 10, d.overallCompleted(), d.overallTotal());
        }
      }
    };
  }

  /**
   * Cancels a running pull (keeping its partial), stops the watcher, the supervisor and the job
   * threads this coordinator created. Idempotent.
   */
  @Override
  public void close() {
    ModelDirWatcher w;
    PullJob job;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      w = watcher;
      watcher = null;
      job = running;
    }
    if (w != null) {
      w.close();
    }
    if (job != null) {
      job.cancellation().cancel(false);
    }
    supervisor.stop();
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }

  private void markHandled() {
    ModelDirWatcher w;
    synchronized (this) {
      w = watcher;
    }
    if (w != null) {
      w.markHandled();
    }
  }

  private ModelDirectoryLock.@Nullable Held tryLock(Map<String, Object> holder) {
    try {
      return lock.tryAcquire(holder);
    } catch (UncheckedIOException e) {
      throw new PullException(Reason.IO, String.valueOf(e.getMessage()), e);
    }
  }

  private List<String> discoverIds() {
    return discovery.discover(modelDir).stream().map(DiscoveredModel::id).sorted().distinct().toList();
  }

  private void refresh(Set<String> warm, String trigger) {
    LOG.info("refreshing the Shimmy instances after a {} (warm: {})", trigger, warm);
    try {
      supervisor.refresh(warm, readyTimeout);
      metrics.refresh(trigger, true);
    } catch (RuntimeException e) {
      metrics.refresh(trigger, false);
      throw e;
    }
  }

  private PullException asPullException(RuntimeException e) {
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
  private PullException backendFailure(SupervisorException e) {
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

  /**
   * Resolves a request for the repo of the running pull written another way ({@code owner/repo}
   * for its default tag, a file instead of a tag, {@code @main}, {@code hf.co/...}, another letter
   * case): once the running pull is resolved too (waiting for it while it resolves), the request
   * attaches when both name the same files at the same commit. Anything else, a failed resolution
   * of the request included, is the conflict the lock check (which comes before resolution)
   * answers.
   *
   * @return the job to attach to, or null when the running pull ended meanwhile (its resolution
   *     failed, or it finished): the request is then submitted again
   */
  private @Nullable PullJob sameResolution(PullRequest request, PullJob active) {
    PreparedPull running;
    try {
      running = active.awaitPrepared();
    } catch (PullException e) {
      LOG.debug("{} did not resolve ({}); submitting {} on its own", active, e.getMessage(), request.ref());
      awaitEnd(active);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + active);
    }
    PreparedPull asked;
    try {
      asked = puller.prepare(request.ref(), request.force());
    } catch (RuntimeException e) {
      LOG.debug("{} does not resolve while {} runs: {}", request.ref(), active, e.toString());
      throw conflict(active);
    }
    if (!sameFiles(asked, running)) {
      throw conflict(active);
    }
    if (active.isDone()) {
      awaitEnd(active);
      return null;
    }
    return active;
  }

  /** Same repo (the Hub's names are case-insensitive), same commit, same file paths. */
  private static boolean sameFiles(PreparedPull a, PreparedPull b) {
    return a.ref().repo().equalsIgnoreCase(b.ref().repo())
        && a.commit().equals(b.commit())
        && a.files().stream().map(f -> f.path()).toList().equals(b.files().stream().map(f -> f.path()).toList());
  }

  /** Waits until {@code job} has ended and left the running slot. */
  private static void awaitEnd(PullJob job) {
    try {
      job.await();
    } catch (PullException ended) {
      LOG.trace("{} ended: {}", job, ended.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + job);
    }
  }

  private static boolean sameModel(ModelRef ref, PullJob job) {
    ModelRef other = job.ref();
    if (ref.equals(other)) {
      return true;
    }
    if (!ref.repo().equalsIgnoreCase(other.repo())) {
      return false;
    }
    PreparedPull prepared = job.preparedPull();
    String revision = ref.revision();
    boolean sameRevision =
        revision == null
            ? other.revision() == null
            : revision.equals(other.revision()) || (prepared != null && revision.equals(prepared.commit()));
    if (!sameRevision) {
      return false;
    }
    String tag = ref.tag();
    if (ref.file() == null && tag != null && other.file() == null && other.tag() != null) {
      return tag.equalsIgnoreCase(other.tag());
    }
    return ref.file() != null
        && prepared != null
        && prepared.files().stream().anyMatch(f -> f.path().equals(ref.file()));
  }

  private PullException conflict(PullJob active) {
    PullProgress p = active.progress();
    String progress =
        p.overallTotal() > 0
            ? String.format(Locale.ROOT, ", %d%% of %d bytes", p.overallCompleted() * 100 / p.overallTotal(), p.overallTotal())
            : "";
    return new PullException(
        Reason.CONFLICT,
        "another pull is running: " + active.model() + " (job " + active.id() + ", " + active.phase() + progress + ")",
        null,
        Map.of("running", WireFormat.job(active)));
  }

  private static PullException busy(String operation) {
    Map<String, Object> running = new LinkedHashMap<>();
    running.put("operation", operation);
    return new PullException(
        Reason.CONFLICT, "the model directory is busy: " + operation, null, Map.of("running", running));
  }

  private PullException otherProcessConflict() {
    Map<String, Object> holder = lock.describeHolder();
    return new PullException(
        Reason.CONFLICT,
        "another process is working on " + modelDir + ": " + describe(holder),
        null,
        Map.of("running", holder));
  }

  private static String describe(Map<String, Object> holder) {
    if (holder.isEmpty()) {
      return "unknown holder of the lock file";
    }
    return holder.get("operation") + " of " + holder.get("model") + " by pid " + holder.get("pid")
        + " since " + holder.get("started_at");
  }

  private Map<String, Object> holder(String op, String model, @Nullable String jobId) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("operation", op);
    m.put("model", model);
    if (jobId != null) {
      m.put("job", jobId);
    }
    m.put("pid", ProcessHandle.current().pid());
    m.put("started_at", clock.instant().toString());
    return m;
  }

  private static String newJobId() {
    return UUID.randomUUID().toString().substring(0, 8);
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
