package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.internal.DaemonThreads;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler of the per-model instances: which models run (at most {@code maxLoadedModels}
 * instances and {@code maxLoadedBytes} of model files), starting on demand, stopping the
 * least-recently-used idle instance to make room, the bounded FIFO queue of requests that wait for
 * room, keep-alive, and the aggregate state.
 *
 * <p><b>No starvation.</b> Requests that need room queue in arrival order, whatever model they
 * name. When the head of the queue needs room and every running instance is busy, the least
 * recently used one stops admitting new requests (it "yields"): its requests in flight finish, new
 * requests for its model queue behind the head, and once it is idle it is stopped and the head's
 * model starts. An instance with requests in flight is never stopped to make room.
 *
 * <p>One lock ({@link #lock}) guards the pool and its instances; processes are launched, awaited
 * and stopped outside it on worker threads. {@link #tryAcquire} takes no lock.
 */
public final class InstancePool {

  private static final Logger log = LoggerFactory.getLogger(InstancePool.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** A discovery older than this is repeated when a request names a model it does not hold. */
  private static final long REDISCOVER_ON_MISS_NANOS = TimeUnit.SECONDS.toNanos(1);

  final PoolSettings settings;
  final InstanceDirectory directory;
  final Object lock = new Object();
  final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final ExecutorService events;
  private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
  private final Set<ShimmyProcess> processes = ConcurrentHashMap.newKeySet();

  // Guarded by lock.
  private final Map<String, ModelInstance> active = new ConcurrentHashMap<>();
  private final List<ModelInstance> retiring = new ArrayList<>();
  private final Map<String, CrashBreaker> breakers = new HashMap<>();
  private final Deque<QueueEntry> queue = new ArrayDeque<>();
  private volatile Map<String, DiscoveredModel> discovered = Map.of();

  /**
   * {@link #discovered}'s values sorted by id, built once per discovery (the edge reads it per
   * request).
   */
  private volatile List<DiscoveredModel> sortedModels = List.of();

  private long discoveredAt;
  private @Nullable String unavailable;
  private @Nullable String discoveryProblem;
  private boolean started;
  volatile boolean stopped;
  int restartsTotal;
  @Nullable Integer lastExit;
  List<String> lastTail = List.of();
  private @Nullable Object lastPublished;

  /** A request waiting for room, in arrival order. */
  private static final class QueueEntry {
    final String model;
    final long enqueuedNanos = System.nanoTime();

    QueueEntry(String model) {
      this.model = model;
    }
  }

  public InstancePool(PoolSettings settings) {
    this.settings = settings;
    this.directory = new InstanceDirectory(settings.modelDir());
    this.workers =
        Executors.newCachedThreadPool(DaemonThreads.numbered("shimmy-supervisor-", THREADS));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.numbered("shimmy-supervisor-timer-", THREADS));
    this.events =
        Executors.newSingleThreadExecutor(
            DaemonThreads.numbered("shimmy-supervisor-events-", THREADS));
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Removes stale instance directories, checks the executable, discovers the model directory,
   * starts the liveness probe and, with {@code warmAtStart}, launches the instances of the first
   * models (by id) that fit the capacity without waiting for them. Idempotent.
   */
  public void start() {
    synchronized (lock) {
      ensureNotStopped();
      if (started) {
        return;
      }
      started = true;
    }
    directory.cleanStale();
    Optional<String> problem = settings.launcher().executableProblem(settings.modelDir());
    synchronized (lock) {
      unavailable = problem.orElse(null);
    }
    try {
      discoverNow();
    } catch (UncheckedIOException e) {
      synchronized (lock) {
        discoveryProblem = "discovery failed: " + e.getMessage();
        changed();
      }
    }
    if (settings.warmAtStart() && problem.isEmpty()) {
      synchronized (lock) {
        for (DiscoveredModel spec : new TreeMap<>(discovered).values()) {
          if (!fits(spec, occupying())) {
            break;
          }
          create(spec);
        }
      }
    }
    if (settings.livenessEnabled()) {
      long every = settings.livenessInterval().toNanos();
      timer.scheduleAtFixedRate(this::probeAll, every, every, TimeUnit.NANOSECONDS);
    }
    synchronized (lock) {
      changed();
    }
  }

  private void ensureStarted() {
    boolean needed;
    synchronized (lock) {
      ensureNotStopped();
      needed = !started;
    }
    if (needed) {
      start();
    }
  }

  private void ensureNotStopped() {
    if (stopped) {
      throw new SupervisorException(Reason.STOPPED, "the Shimmy supervisor is stopped");
    }
  }

  private void probeAll() {
    synchronized (lock) {
      for (ModelInstance inst : active.values()) {
        inst.probeIfDue();
      }
    }
  }

  /** Stops every instance (SIGTERM, grace, SIGKILL, descendants too) without draining. */
  public void stop() {
    List<ModelInstance> all;
    synchronized (lock) {
      if (stopped) {
        return;
      }
      stopped = true;
      all = new ArrayList<>(active.values());
      for (ModelInstance inst : all) {
        inst.markRetired("stop");
      }
      retiring.addAll(all);
      active.clear();
      queue.clear();
      lock.notifyAll();
    }
    timer.shutdownNow();
    List<CompletableFuture<Void>> stops = new ArrayList<>();
    for (ShimmyProcess p : List.copyOf(processes)) {
      stops.add(CompletableFuture.runAsync(() -> p.stop(settings.stopGrace()), workers));
    }
    CompletableFuture.allOf(stops.toArray(new CompletableFuture<?>[0])).join();
    directory.cleanStale();
    synchronized (lock) {
      retiring.clear();
      changed();
    }
    log.info(
        "Shimmy supervisor for {} stopped ({} processes ended)", settings.modelDir(), stops.size());
    workers.shutdown();
    events.shutdown();
  }

  // ---------------------------------------------------------------- discovery

  private List<DiscoveredModel> discoverNow() {
    List<DiscoveredModel> found = settings.discovery().discover(settings.modelDir());
    Map<String, DiscoveredModel> map = new TreeMap<>();
    for (DiscoveredModel m : found) {
      map.put(m.id(), m);
    }
    synchronized (lock) {
      discovered = Map.copyOf(map);
      sortedModels = List.copyOf(map.values());
      discoveredAt = System.nanoTime();
      discoveryProblem = null;
      changed();
    }
    return found;
  }

  /** The last discovery, sorted by id. */
  public List<DiscoveredModel> models() {
    return sortedModels;
  }

  /** The discovered model {@code model}, discovering again once when it is missing. */
  private DiscoveredModel lookup(String model) {
    DiscoveredModel d = discovered.get(model);
    if (d == null) {
      boolean stale;
      synchronized (lock) {
        stale = System.nanoTime() - discoveredAt > REDISCOVER_ON_MISS_NANOS;
      }
      if (stale) {
        try {
          discoverNow();
        } catch (UncheckedIOException e) {
          log.warn("discovery of {} failed: {}", settings.modelDir(), e.getMessage());
        }
        d = discovered.get(model);
      }
    }
    if (d == null) {
      throw new SupervisorException(
          Reason.MODEL_NOT_FOUND,
          "model '"
              + model
              + "' not found; available models: "
              + new TreeMap<>(discovered).keySet());
    }
    return d;
  }

  /**
   * The files of {@code id} as an in-process scan sees them (for discoveries that name ids only).
   */
  List<java.nio.file.Path> scanFiles(String id) {
    for (DiscoveredModel m : new ScanDiscoveryRunner().discover(settings.modelDir())) {
      if (m.id().equals(id)) {
        return m.files();
      }
    }
    return List.of();
  }

  // ---------------------------------------------------------------- leases

  /** A lease on a ready instance of {@code model}, or null; never blocks, never starts. */
  public @Nullable Lease tryAcquire(String model) {
    ModelInstance inst = active.get(model);
    return inst == null ? null : inst.tryLease(false);
  }

  /** A lease on the most recently used ready instance. */
  public Lease acquireAny() {
    List<ModelInstance> ready = new ArrayList<>(active.values());
    ready.sort(Comparator.comparingLong(ModelInstance::lastUsedMillis).reversed());
    for (ModelInstance inst : ready) {
      Lease l = inst.tryLease(false);
      if (l != null) {
        return l;
      }
    }
    throw new SupervisorException(
        Reason.NO_BACKEND,
        "no Shimmy instance is ready (backend " + state().status().wireName() + ")");
  }

  /**
   * A lease on any ready instance, waiting up to {@code wait} while one is starting. When nothing
   * runs or starts and the directory holds exactly one model, that model's instance is started (a
   * request that names no model goes to the only model).
   */
  public Lease acquireAny(Duration wait) {
    ensureStarted();
    long deadline = deadline(wait);
    String only = null;
    synchronized (lock) {
      if (active.isEmpty() && discovered.size() == 1) {
        only = discovered.keySet().iterator().next();
      }
    }
    if (only != null) {
      return acquire(only, wait);
    }
    synchronized (lock) {
      while (true) {
        ensureNotStopped();
        try {
          return acquireAny();
        } catch (SupervisorException e) {
          boolean coming =
              active.values().stream()
                  .anyMatch(
                      i ->
                          i.status == BackendStatus.STARTING
                              || i.status == BackendStatus.RESTARTING
                              || i.status == BackendStatus.BACKING_OFF
                              || (i.status == BackendStatus.READY && i.live == null));
          long left = deadline - System.nanoTime();
          if (!coming || left <= 0) {
            throw e;
          }
          await(left);
        }
      }
    }
  }

  /**
   * A lease on the instance of {@code model}, starting it within the capacity and queueing for
   * room; see {@code ShimmySupervisor#acquire(String, Duration)}.
   */
  public Lease acquire(String model, Duration wait) {
    ensureStarted();
    DiscoveredModel spec = lookup(model);
    long start = System.nanoTime();
    long deadline = deadline(wait);
    long queueDeadline = Math.min(deadline, start + settings.queueTimeout().toNanos());
    QueueEntry entry = null;
    ModelInstance attached = null;
    int failedStartsSeen = 0;
    synchronized (lock) {
      try {
        while (true) {
          ensureNotStopped();
          ModelInstance inst = active.get(model);
          if (inst != null && (inst.admitting || inst == attached)) {
            if (entry != null) {
              leaveQueue(entry);
              settings
                  .events()
                  .queueWaited(model, Duration.ofNanos(System.nanoTime() - entry.enqueuedNanos));
              entry = null;
            }
            Lease lease = inst.tryLease(inst == attached);
            if (lease != null) {
              return lease;
            }
            if (inst.status == BackendStatus.FAILED) {
              throw new SupervisorException(
                  Reason.FAILED,
                  "the instance of " + model + " is failing: " + inst.reason,
                  inst.lastExit(),
                  inst.tail(),
                  null);
            }
            if (inst.status == BackendStatus.UNAVAILABLE) {
              SupervisorException e = inst.lastError;
              throw e != null
                  ? copy(e)
                  : new SupervisorException(
                      Reason.EXECUTABLE_NOT_FOUND, String.valueOf(inst.reason));
            }
            if (attached != inst) {
              detach(attached);
              attached = inst;
              inst.waiters++;
              failedStartsSeen = inst.failedStarts;
            } else if (inst.failedStarts > failedStartsSeen && inst.lastError != null) {
              throw copy(inst.lastError);
            }
            if (inst.readyNow()) {
              await(TimeUnit.MILLISECONDS.toNanos(1));
              continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              SupervisorException e = inst.lastError;
              throw e != null
                  ? copy(e)
                  : new SupervisorException(
                      Reason.READY_TIMEOUT,
                      "the instance of "
                          + model
                          + " did not become ready within "
                          + wait.toMillis()
                          + " ms ("
                          + inst.status.wireName()
                          + ")",
                      null,
                      inst.tail(),
                      null);
            }
            await(left);
            continue;
          }
          // No instance that admits us: we need room (or the yielding instance of our model must
          // go).
          if (entry == null) {
            if (queue.isEmpty() && inst == null && makeRoom(spec, true, Set.of())) {
              create(spec);
              continue;
            }
            if (queue.size() >= settings.maxQueue()) {
              settings.events().queueRejected(model, "queue-full");
              throw new SupervisorException(
                  Reason.OVERLOADED,
                  "no room to start "
                      + model
                      + " and the wait queue is full ("
                      + settings.maxQueue()
                      + " requests); retry later");
            }
            entry = new QueueEntry(model);
            queue.addLast(entry);
            log.debug("request for {} queued for room ({} waiting)", model, queue.size());
          }
          if (queue.peekFirst() == entry) {
            if (inst != null && !inst.admitting) {
              inst.admitting = true;
              changed();
              continue;
            }
            if (inst == null && makeRoom(spec, true, Set.of())) {
              leaveQueue(entry);
              settings
                  .events()
                  .queueWaited(model, Duration.ofNanos(System.nanoTime() - entry.enqueuedNanos));
              entry = null;
              create(spec);
              continue;
            }
          }
          // An idle instance already being stopped for us is not a wait for a busy one: only the
          // caller's own wait bounds it, not the queue timeout.
          boolean roomComing =
              inst == null
                  && queue.peekFirst() == entry
                  && fits(spec, new ArrayList<>(active.values()));
          long left =
              (roomComing ? deadline : Math.min(deadline, queueDeadline)) - System.nanoTime();
          if (left <= 0) {
            settings.events().queueRejected(model, "queue-timeout");
            throw new SupervisorException(
                Reason.OVERLOADED,
                "no room to start "
                    + model
                    + " within "
                    + Duration.ofNanos(System.nanoTime() - entry.enqueuedNanos).toMillis()
                    + " ms in the wait queue (every running instance is busy); retry later");
          }
          await(left);
        }
      } finally {
        if (entry != null) {
          leaveQueue(entry);
        }
        detach(attached);
        lock.notifyAll();
      }
    }
  }

  private static long deadline(Duration wait) {
    long now = System.nanoTime();
    long w =
        wait.isNegative()
            ? 0
            : wait.toNanos() > Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 4 : wait.toNanos();
    return now + w;
  }

  private static SupervisorException copy(SupervisorException e) {
    return new SupervisorException(e.reason(), e.getMessage(), e.exitCode(), e.outputTail(), e);
  }

  /** Waits on the lock up to {@code nanos}. Holds the lock. */
  private void await(long nanos) {
    try {
      long ms = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(nanos), 250));
      lock.wait(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SupervisorException(Reason.STOPPED, "interrupted while waiting for Shimmy");
    }
  }

  private void detach(@Nullable ModelInstance inst) {
    if (inst != null) {
      inst.waiters--;
      scheduleKeepAlive(inst);
    }
  }

  /**
   * Removes a queue entry; with the queue empty, every yielding instance admits again. Holds the
   * lock.
   */
  private void leaveQueue(QueueEntry entry) {
    queue.remove(entry);
    if (queue.isEmpty()) {
      for (ModelInstance inst : active.values()) {
        if (!inst.admitting && !inst.retired) {
          inst.admitting = true;
        }
      }
    }
    lock.notifyAll();
  }

  /** Creates and starts the instance of {@code spec}. Holds the lock. */
  private ModelInstance create(DiscoveredModel spec) {
    CrashBreaker breaker =
        breakers.computeIfAbsent(
            spec.id(),
            id ->
                new CrashBreaker(
                    settings.crashLoopCrashes(), settings.crashLoopWindow().toNanos()));
    ModelInstance inst = new ModelInstance(this, spec, breaker);
    active.put(spec.id(), inst);
    log.info(
        "starting an instance of {} ({} running, {} stopping)",
        spec.id(),
        active.size() - 1,
        retiring.size());
    inst.startSoon();
    changed();
    return inst;
  }

  // ---------------------------------------------------------------- capacity

  private long bytes(Collection<ModelInstance> instances) {
    long sum = 0;
    for (ModelInstance i : instances) {
      sum += i.sizeBytes();
    }
    return sum;
  }

  /** Whether {@code spec} fits next to {@code running} (a model alone always fits). */
  private boolean fits(DiscoveredModel spec, Collection<ModelInstance> running) {
    if (running.isEmpty()) {
      return true;
    }
    if (running.size() + 1 > settings.maxLoadedModels()) {
      return false;
    }
    return settings.maxLoadedBytes() <= 0
        || bytes(running) + Math.max(0, spec.sizeBytes()) <= settings.maxLoadedBytes();
  }

  private List<ModelInstance> occupying() {
    List<ModelInstance> all = new ArrayList<>(active.values());
    for (ModelInstance r : retiring) {
      if (!r.terminating) {
        all.add(r);
      }
    }
    return all;
  }

  /**
   * Makes room for {@code spec}: stops least-recently-used idle instances (never one in {@code
   * protect}); with {@code allowYield}, when that is not enough, asks the least recently used busy
   * one to yield (stop admitting so it drains). Holds the lock.
   *
   * @return whether {@code spec} fits now (stopped instances free their room once their process has
   *     ended)
   */
  private boolean makeRoom(DiscoveredModel spec, boolean allowYield, Set<String> protect) {
    if (fits(spec, occupying())) {
      return true;
    }
    List<ModelInstance> lru = new ArrayList<>(active.values());
    lru.removeIf(i -> i.model.equals(spec.id()) || protect.contains(i.model));
    lru.sort(Comparator.comparingLong(ModelInstance::lastUsedMillis));
    List<ModelInstance> projected = new ArrayList<>(active.values());
    for (ModelInstance c : lru) {
      if (fits(spec, projected)) {
        break;
      }
      if (c.evictable()) {
        retire(c, "capacity");
        projected.remove(c);
      }
    }
    if (!fits(spec, projected) && allowYield) {
      boolean yielding = active.values().stream().anyMatch(i -> !i.admitting);
      if (!yielding) {
        for (ModelInstance c : lru) {
          if (c.status == BackendStatus.READY) {
            c.admitting = false;
            log.info(
                "{} yields its slot to a queued request for {}: it drains, then stops",
                c,
                spec.id());
            changed();
            break;
          }
        }
      }
    }
    return fits(spec, occupying());
  }

  /** Retires an instance: no new leases; drained and stopped on a worker. Holds the lock. */
  private void retire(ModelInstance inst, String why) {
    if (inst.retired) {
      return;
    }
    inst.markRetired(why);
    if (inst.keepAliveTask != null) {
      inst.keepAliveTask.cancel(false);
    }
    active.remove(inst.model, inst);
    retiring.add(inst);
    log.info("stopping {} ({})", inst, why);
    settings.events().instanceStopped(inst.model, why);
    changed();
    try {
      workers.execute(
          () -> {
            try {
              inst.shutDown();
            } finally {
              synchronized (lock) {
                retiring.remove(inst);
                changed();
              }
            }
          });
    } catch (RejectedExecutionException stopping) {
      retiring.remove(inst);
    }
  }

  // ---------------------------------------------------------------- keep-alive

  /** An instance's last request ended. */
  void becameIdle(ModelInstance inst) {
    synchronized (lock) {
      lock.notifyAll();
      scheduleKeepAlive(inst);
    }
  }

  /** (Re)schedules the keep-alive stop of an idle ready instance. Holds the lock. */
  void scheduleKeepAlive(ModelInstance inst) {
    if (!settings.keepAliveEnabled()
        || inst.retired
        || stopped
        || !inst.readyNow()
        || inst.inFlight() > 0
        || inst.waiters > 0) {
      return;
    }
    if (inst.keepAliveTask != null) {
      inst.keepAliveTask.cancel(false);
    }
    inst.keepAliveTask = schedule(() -> keepAliveCheck(inst), settings.keepAlive());
  }

  private void keepAliveCheck(ModelInstance inst) {
    synchronized (lock) {
      if (inst.retired
          || active.get(inst.model) != inst
          || !inst.readyNow()
          || inst.inFlight() > 0
          || inst.waiters > 0) {
        return;
      }
      long idleMillis = System.currentTimeMillis() - Math.max(inst.lastUsedMillis(), 0);
      long keep = settings.keepAlive().toMillis();
      if (inst.lastUsedMillis() != 0 && idleMillis < keep) {
        inst.keepAliveTask =
            schedule(() -> keepAliveCheck(inst), Duration.ofMillis(keep - idleMillis));
        return;
      }
      retire(inst, "keep-alive");
    }
  }

  // ---------------------------------------------------------------- refresh, load, unload

  /** See {@code ShimmySupervisor#refresh}. */
  public void refresh(Collection<String> warm, Duration timeout) {
    ensureStarted();
    long deadline = deadline(timeout);
    try {
      discoverNow();
    } catch (UncheckedIOException e) {
      throw new SupervisorException(
          Reason.NO_BACKEND, "discovery failed: " + e.getMessage(), null, List.of(), e);
    }
    Map<ModelInstance, DiscoveredModel> toReplace = new HashMap<>();
    synchronized (lock) {
      for (ModelInstance inst : List.copyOf(active.values())) {
        DiscoveredModel d = discovered.get(inst.model);
        if (d == null) {
          retire(inst, "removed");
        } else if (inst.filesChanged(d)) {
          toReplace.put(inst, d);
        } else if (inst.live == null) {
          inst.spec = d;
        }
      }
    }
    List<CompletableFuture<Void>> replacements = new ArrayList<>();
    for (Map.Entry<ModelInstance, DiscoveredModel> e : toReplace.entrySet()) {
      Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
      replacements.add(
          CompletableFuture.runAsync(() -> e.getKey().replace(e.getValue(), left), workers));
    }
    SupervisorException failure = null;
    for (CompletableFuture<Void> f : replacements) {
      try {
        f.join();
      } catch (CompletionException e) {
        if (failure == null) {
          failure =
              e.getCause() instanceof SupervisorException se
                  ? se
                  : new SupervisorException(
                      Reason.READY_TIMEOUT,
                      String.valueOf(e.getCause()),
                      null,
                      List.of(),
                      e.getCause());
        }
      }
    }
    warm(warm, deadline);
    if (failure != null) {
      throw failure;
    }
  }

  private void warm(Collection<String> warm, long deadline) {
    Set<String> ids = new LinkedHashSet<>(warm);
    List<String> missing = ids.stream().filter(id -> !discovered.containsKey(id)).sorted().toList();
    if (!missing.isEmpty()) {
      throw new SupervisorException(
          Reason.MODEL_NOT_FOUND,
          "model(s) "
              + missing
              + " not found; available models: "
              + new TreeMap<>(discovered).keySet());
    }
    List<ModelInstance> toAwait = new ArrayList<>();
    synchronized (lock) {
      List<String> order = new ArrayList<>(ids);
      order.sort(Comparator.comparing((String id) -> !active.containsKey(id)));
      // The try covers the loop too: the instances attached so far are detached when a later
      // model fails (or the pool stops while we wait for room).
      try {
        for (String id : order) {
          ModelInstance inst = active.get(id);
          if (inst == null && queue.isEmpty()) {
            // read again under the lock: a discovery since the check above may have dropped it
            DiscoveredModel spec = discovered.get(id);
            if (spec == null) {
              throw new SupervisorException(
                  Reason.MODEL_NOT_FOUND,
                  "model '" + id + "' is no longer in " + settings.modelDir());
            }
            boolean room = makeRoom(spec, false, ids);
            while (!room
                && fits(spec, new ArrayList<>(active.values()))
                && System.nanoTime() < deadline) {
              await(deadline - System.nanoTime());
              room = fits(spec, occupying());
            }
            if (room && !active.containsKey(id)) {
              inst = create(spec);
            } else {
              inst = active.get(id);
              if (inst == null) {
                log.info(
                    "no room to warm {} without stopping a busy instance; it starts on demand", id);
              }
            }
          }
          if (inst != null) {
            inst.waiters++;
            toAwait.add(inst);
          }
        }
        for (ModelInstance inst : toAwait) {
          awaitReady(inst, deadline);
        }
      } finally {
        for (ModelInstance inst : toAwait) {
          detach(inst);
        }
      }
    }
  }

  /** Waits until {@code inst} is ready; fails with its start error. Holds the lock. */
  private void awaitReady(ModelInstance inst, long deadline) {
    int failedStartsSeen = inst.failedStarts;
    while (!inst.readyNow()) {
      ensureNotStopped();
      if (inst.retired) {
        throw new SupervisorException(
            Reason.NO_BACKEND, "the instance of " + inst.model + " was stopped");
      }
      SupervisorException error = inst.lastError;
      if (inst.status == BackendStatus.FAILED
          || inst.status == BackendStatus.UNAVAILABLE
          || (inst.failedStarts > failedStartsSeen && error != null)) {
        throw error != null
            ? copy(error)
            : new SupervisorException(
                Reason.FAILED, "the instance of " + inst.model + " is failing: " + inst.reason);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SupervisorException(
            Reason.READY_TIMEOUT,
            "the instance of "
                + inst.model
                + " did not become ready in time ("
                + inst.status.wireName()
                + ")",
            null,
            inst.tail(),
            null);
      }
      await(left);
    }
  }

  /** Drains and stops the instance of {@code model}; false when none ran. */
  public boolean unload(String model) {
    ModelInstance inst;
    synchronized (lock) {
      ensureNotStopped();
      inst = active.get(model);
      if (inst == null) {
        return false;
      }
      retire(inst, "unload");
      long deadline =
          System.nanoTime()
              + settings.drainTimeout().plus(settings.stopGrace()).plusSeconds(10).toNanos();
      while (retiring.contains(inst) && System.nanoTime() < deadline) {
        await(deadline - System.nanoTime());
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- processes and timers

  void track(ShimmyProcess p) {
    processes.add(p);
    if (stopped) {
      workers.execute(() -> p.stop(settings.stopGrace()));
    }
  }

  void forget(ShimmyProcess p) {
    processes.remove(p);
  }

  /** Schedules {@code task} after {@code delay}; null when the supervisor is stopping. */
  @Nullable ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    try {
      return timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopping) {
      log.debug("not scheduled: the supervisor is stopping");
      return null;
    }
  }

  // ---------------------------------------------------------------- state

  /** The instances (running, starting, stopping), sorted by model id. */
  public List<InstanceState> instances() {
    synchronized (lock) {
      List<InstanceState> out = new ArrayList<>();
      List<ModelInstance> all = new ArrayList<>(active.values());
      all.addAll(retiring);
      for (ModelInstance inst : all) {
        out.add(inst.snapshot());
      }
      return InstanceState.sorted(out);
    }
  }

  public void addListener(Consumer<BackendState> listener) {
    listeners.add(listener);
  }

  public BackendState state() {
    synchronized (lock) {
      return aggregate();
    }
  }

  /**
   * The aggregate state. Status, in order: STOPPED after stop; READY when any instance is ready;
   * else STARTING, RESTARTING, BACKING_OFF, FAILED when any instance is in that state (first
   * match); UNAVAILABLE when the executable cannot be run; else IDLE (nothing runs: no model, or
   * nothing requested yet, or everything stopped by keep-alive). {@code pid}/{@code port} are those
   * of the most recently used ready instance (else of a starting one, else null). Holds the lock.
   */
  private BackendState aggregate() {
    List<ModelInstance> all = new ArrayList<>(active.values());
    BackendStatus status;
    if (stopped) {
      status = BackendStatus.STOPPED;
    } else if (all.stream().anyMatch(ModelInstance::readyNow)) {
      status = BackendStatus.READY;
    } else {
      status = null;
      for (BackendStatus s :
          List.of(
              BackendStatus.STARTING,
              BackendStatus.RESTARTING,
              BackendStatus.BACKING_OFF,
              BackendStatus.FAILED,
              BackendStatus.UNAVAILABLE)) {
        if (all.stream().anyMatch(i -> i.status == s)) {
          status = s;
          break;
        }
      }
      if (status == null) {
        status = unavailable != null ? BackendStatus.UNAVAILABLE : BackendStatus.IDLE;
      }
    }
    ModelInstance shown =
        all.stream()
            .filter(ModelInstance::readyNow)
            .max(Comparator.comparingLong(ModelInstance::lastUsedMillis))
            .orElse(null);
    InstanceState shownState = shown != null ? shown.snapshot() : null;
    if (shownState == null) {
      for (ModelInstance i : all) {
        InstanceState s = i.snapshot();
        if (s.pid() != null) {
          shown = i;
          shownState = s;
          break;
        }
      }
    }
    String reason;
    if (stopped) {
      reason = "stopped";
    } else if (status == BackendStatus.UNAVAILABLE && unavailable != null && all.isEmpty()) {
      reason = unavailable;
    } else if (all.isEmpty()) {
      reason =
          discoveryProblem != null
              ? discoveryProblem
              : discovered.isEmpty() ? "no model in " + settings.modelDir() : null;
    } else {
      List<String> reasons = new ArrayList<>();
      all.sort(Comparator.comparing(i -> i.model));
      for (ModelInstance i : all) {
        if (i.reason != null) {
          reasons.add(all.size() == 1 ? i.reason : i.model + ": " + i.reason);
        }
      }
      reason = reasons.isEmpty() ? null : String.join("; ", reasons);
    }
    return new BackendState(
        status,
        shownState == null ? null : shownState.pid(),
        shownState == null ? null : shownState.port(),
        restartsTotal,
        lastExit,
        reason,
        new ArrayList<>(new TreeMap<>(discovered).keySet()),
        shown != null ? shown.tail() : lastTail);
  }

  /** Wakes waiters and sends the aggregate state to listeners when it changed. Holds the lock. */
  void changed() {
    lock.notifyAll();
    if (listeners.isEmpty()) {
      return;
    }
    BackendState snapshot = aggregate();
    List<Object> key =
        List.of(
            snapshot.status(),
            Objects.toString(snapshot.pid()),
            Objects.toString(snapshot.port()),
            snapshot.restarts(),
            Objects.toString(snapshot.lastExit()),
            Objects.toString(snapshot.reason()),
            snapshot.models());
    if (key.equals(lastPublished)) {
      return;
    }
    lastPublished = key;
    try {
      events.execute(
          () -> {
            for (Consumer<BackendState> l : listeners) {
              try {
                l.accept(snapshot);
              } catch (RuntimeException e) {
                log.warn("backend state listener failed", e);
              }
            }
          });
    } catch (RejectedExecutionException afterStop) {
      log.debug("state {} not delivered: supervisor stopped", snapshot.status());
    }
  }
}
