package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import okhttp3.Call;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Shimmy instance of one model: launches Shimmy on the model's private directory and awaits it
 * ready, restarts it after a crash with backoff (with the model's own crash-loop breaker), replaces
 * it blue-green when the model's files change, gates leases (an instance asked to yield its slot
 * stops admitting new requests so it drains), probes its liveness and drains and stops it.
 *
 * <p>State is guarded by the pool's lock ({@link InstancePool#lock}); the fields the lease fast
 * path reads without the lock are volatile.
 */
public final class ModelInstance {

  private static final Logger log = LoggerFactory.getLogger(ModelInstance.class);
  private static final int PORT_IN_USE_RETRIES = 3;

  private final InstancePool pool;
  private final PoolSettings settings;
  private final CrashBreaker breaker;
  final String model;

  // Guarded by pool.lock (volatile ones are also read without it).
  DiscoveredModel spec;
  private List<FileStamp> stamp = List.of();
  volatile BackendStatus status = BackendStatus.STARTING;
  @Nullable String reason;
  volatile @Nullable ShimmyProcess live;
  private @Nullable Path liveDir;
  private @Nullable ShimmyProcess pending;
  private @Nullable Instant startedAt;
  private volatile long lastUsedMillis;
  private int restarts;
  private int launches;
  @Nullable SupervisorException lastError;

  /** Start attempts that failed (waiters give up with the error when it grows). */
  int failedStarts;

  java.util.concurrent.@Nullable ScheduledFuture<?> keepAliveTask;
  private @Nullable Integer lastExit;
  private List<String> lastTail = List.of();

  /** False while the instance yields its slot to a queued request for another model. */
  volatile boolean admitting = true;

  /** Acquirers waiting for this instance to become ready (they keep it from being evicted). */
  int waiters;

  volatile boolean retired;

  /** Retired, drained and being stopped: it no longer holds room. */
  boolean terminating;

  private @Nullable String retireWhy;
  private boolean replacing;
  private long generation;
  private int livenessMisses;
  private boolean probing;
  private final List<ShimmyProcess> draining = new ArrayList<>();

  ModelInstance(InstancePool pool, DiscoveredModel spec, CrashBreaker breaker) {
    this.pool = pool;
    this.settings = pool.settings;
    this.spec = spec;
    this.model = spec.id();
    this.breaker = breaker;
  }

  /** The model's size as it counts against {@code max-loaded-bytes}. */
  long sizeBytes() {
    return Math.max(0, spec.sizeBytes());
  }

  long lastUsedMillis() {
    return lastUsedMillis;
  }

  void touch() {
    lastUsedMillis = System.currentTimeMillis();
  }

  /** Requests in flight on the live process and on those still draining. */
  int inFlight() {
    ShimmyProcess p = live;
    int n = p == null ? 0 : p.inFlight();
    for (ShimmyProcess d : draining) {
      n += d.inFlight();
    }
    return n;
  }

  /**
   * Whether the instance may be stopped to make room: not starting, nothing in flight or waiting.
   */
  boolean evictable() {
    return !retired
        && status != BackendStatus.STARTING
        && status != BackendStatus.RESTARTING
        && !replacing
        && waiters == 0
        && (live == null || live.inFlight() == 0);
  }

  boolean readyNow() {
    return status == BackendStatus.READY && live != null;
  }

  /** When keep-alive stops it if it stays idle, or null. Holds the lock. */
  @Nullable Instant expiresAt() {
    if (!settings.keepAliveEnabled()
        || status != BackendStatus.READY
        || inFlight() > 0
        || waiters > 0) {
      return null;
    }
    long base =
        lastUsedMillis != 0 ? lastUsedMillis : startedAt == null ? 0 : startedAt.toEpochMilli();
    return base == 0 ? null : Instant.ofEpochMilli(base).plus(settings.keepAlive());
  }

  /** A snapshot for {@code instances()}. Holds the lock. */
  InstanceState snapshot() {
    ShimmyProcess p = live != null ? live : pending;
    BackendStatus shown = retired ? BackendStatus.STOPPED : status;
    String why = retired ? "stopping (" + retireWhy + ")" : reason;
    return new InstanceState(
        model,
        shown,
        p == null ? null : p.pid(),
        p == null ? null : p.port(),
        startedAt,
        lastUsedMillis == 0 ? null : Instant.ofEpochMilli(lastUsedMillis),
        inFlight(),
        retired ? null : expiresAt(),
        restarts,
        why,
        sizeBytes());
  }

  int restarts() {
    return restarts;
  }

  @Nullable Integer lastExit() {
    return lastExit;
  }

  List<String> tail() {
    ShimmyProcess p = live != null ? live : pending;
    return p != null ? p.tail() : lastTail;
  }

  // ---------------------------------------------------------------- leases

  /**
   * A lease on the live process when it is ready, or null. {@code attached}: the caller waited on
   * this instance and may still take its lease while the instance yields.
   */
  @Nullable Lease tryLease(boolean attached) {
    ShimmyProcess p = live;
    if (p == null || status != BackendStatus.READY || (!admitting && !attached) || retired) {
      return null;
    }
    if (!p.tryEnter()) {
      return null;
    }
    touch();
    return new InstanceLease(p);
  }

  /** A lease on one process of this instance; closing it ends the request for the drain count. */
  private final class InstanceLease implements Lease {
    private final ShimmyProcess process;
    private final AtomicBoolean closed = new AtomicBoolean();

    InstanceLease(ShimmyProcess process) {
      this.process = process;
    }

    @Override
    public String model() {
      return model;
    }

    @Override
    public URI baseUrl() {
      return process.baseUrl();
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        touch();
        process.leave();
        if (process.inFlight() == 0) {
          pool.becameIdle(ModelInstance.this);
        }
      }
    }

    @Override
    public String toString() {
      return "Lease[" + model + ", " + process + "]";
    }
  }

  // ---------------------------------------------------------------- starting and crashes

  /** Schedules the first start. Holds the lock. */
  void startSoon() {
    long gen = generation;
    status = BackendStatus.STARTING;
    reason = null;
    pool.workers.execute(() -> runStart(gen));
  }

  private boolean cancelled(long gen) {
    synchronized (pool.lock) {
      return gen != generation || retired || pool.stopped;
    }
  }

  /** One start attempt (first start or recovery after a crash), on a worker thread. */
  private void runStart(long gen) {
    DiscoveredModel toStart;
    synchronized (pool.lock) {
      if (gen != generation || retired || pool.stopped) {
        return;
      }
      if (launches > 0) {
        restarts++;
        pool.restartsTotal++;
      }
      launches++;
      if (status != BackendStatus.FAILED) {
        status = launches == 1 ? BackendStatus.STARTING : BackendStatus.RESTARTING;
      }
      toStart = spec;
      pool.changed();
    }
    Launched l;
    try {
      l = launch(toStart, settings.readyTimeout(), () -> cancelled(gen));
    } catch (SupervisorException e) {
      synchronized (pool.lock) {
        if (gen != generation || retired || pool.stopped) {
          return;
        }
        startFailed(e);
      }
      return;
    }
    boolean stale;
    synchronized (pool.lock) {
      stale = gen != generation || retired || pool.stopped;
      if (!stale) {
        goLive(l);
      }
    }
    if (stale) {
      stopProcess(l.process(), l.dir());
      return;
    }
    if (!l.process().isAlive()) {
      processExited(l.process());
    }
  }

  /** A start attempt failed. Holds the lock. */
  private void startFailed(SupervisorException e) {
    lastError = e;
    failedStarts++;
    if (e.exitCode() != null) {
      lastExit = e.exitCode();
      pool.lastExit = e.exitCode();
    }
    if (!e.outputTail().isEmpty()) {
      lastTail = e.outputTail();
      pool.lastTail = e.outputTail();
    }
    settings
        .events()
        .instanceStartFailed(model, e.reason().name().toLowerCase(java.util.Locale.ROOT));
    if (e.reason() == Reason.EXECUTABLE_NOT_FOUND) {
      status = BackendStatus.UNAVAILABLE;
      reason = e.getMessage();
      pool.changed();
      return;
    }
    scheduleRecovery(e.getMessage());
  }

  /** Makes a launched process the live one. Holds the lock. */
  private void goLive(Launched l) {
    live = l.process();
    liveDir = l.dir();
    stamp = l.stamp();
    startedAt = l.startedAt();
    status = BackendStatus.READY;
    reason = null;
    lastError = null;
    livenessMisses = 0;
    settings.events().instanceStarted(model, Duration.between(l.startedAt(), Instant.now()));
    pool.changed();
    pool.scheduleKeepAlive(this);
  }

  /**
   * Counts a crash and schedules the next start: backoff, or the breaker's slow retry. Holds the
   * lock.
   */
  private void scheduleRecovery(String why) {
    int recent = breaker.record(System.nanoTime());
    Duration delay;
    if (breaker.opens(recent)) {
      delay = settings.failedRetryInterval();
      status = BackendStatus.FAILED;
      reason =
          "crash loop: "
              + recent
              + " failures within "
              + settings.crashLoopWindow().toSeconds()
              + " s; next try in "
              + delay.toSeconds()
              + " s; last: "
              + why;
      log.error(
          "Shimmy for {} keeps failing; crash-loop breaker open, retrying in {} s: {}",
          model,
          delay.toSeconds(),
          why);
    } else {
      delay = backoff(recent);
      status = BackendStatus.BACKING_OFF;
      reason = why + "; next try in " + delay.toMillis() + " ms";
      log.warn("Shimmy for {} failed ({}); restarting in {} ms", model, why, delay.toMillis());
    }
    pool.changed();
    long gen = generation;
    pool.schedule(() -> pool.workers.execute(() -> runStart(gen)), delay);
  }

  /**
   * Exponential backoff with jitter: uniformly between half and all of min(max, initial·2^(n-1)).
   */
  private Duration backoff(int attempt) {
    double base = settings.initialBackoff().toNanos() * Math.pow(2, Math.min(30, attempt - 1));
    long capped = (long) Math.min(base, settings.maxBackoff().toNanos());
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    return Duration.ofNanos(jittered);
  }

  /** A process of this instance ended; a crash of the live one is recovered. */
  void processExited(ShimmyProcess p) {
    pool.forget(p);
    Integer code = p.exitCode();
    List<String> tail = p.stopRequested() ? List.of() : p.finalTail();
    synchronized (pool.lock) {
      draining.remove(p);
      if (p.stopRequested() || live != p) {
        pool.changed();
        return;
      }
      live = null;
      lastExit = code;
      lastTail = tail;
      pool.lastExit = code;
      pool.lastTail = tail;
      Path dir = liveDir;
      liveDir = null;
      if (dir != null) {
        pool.directory.delete(dir);
      }
      String why = "Shimmy pid " + p.pid() + " exited with code " + code;
      log.warn("{} while serving {} on port {}", why, model, p.port());
      if (retired || pool.stopped) {
        pool.changed();
        return;
      }
      settings.events().instanceCrashed(model, code);
      if (replacing) {
        status = BackendStatus.RESTARTING;
        reason = why + "; its replacement is starting";
        pool.changed();
        return;
      }
      scheduleRecovery(why);
    }
  }

  // ---------------------------------------------------------------- liveness

  /** Starts a liveness probe when the instance is ready and none is outstanding. Holds the lock. */
  void probeIfDue() {
    ShimmyProcess p = live;
    if (probing || retired || p == null || status != BackendStatus.READY) {
      return;
    }
    probing = true;
    pool.workers.execute(() -> probe(p));
  }

  private void probe(ShimmyProcess p) {
    boolean ok = false;
    Request request =
        new Request.Builder().url(p.baseUrl().resolve("/health").toString()).get().build();
    Call call = settings.http().newCall(request);
    call.timeout().timeout(settings.livenessTimeout().toNanos(), TimeUnit.NANOSECONDS);
    try (Response response = call.execute()) {
      ok = response.code() == 200;
    } catch (IOException e) {
      log.debug("liveness probe of {} ({}) failed: {}", model, p, e.toString());
    }
    boolean kill = false;
    synchronized (pool.lock) {
      probing = false;
      if (live != p || retired || pool.stopped) {
        return;
      }
      if (ok) {
        if (livenessMisses > 0) {
          livenessMisses = 0;
          if (reason != null && reason.startsWith("degraded")) {
            reason = null;
          }
          pool.changed();
        }
        return;
      }
      livenessMisses++;
      settings.events().livenessMissed(model);
      String what =
          "degraded: "
              + livenessMisses
              + " of "
              + settings.livenessMisses()
              + " liveness probes missed (GET /health got no 200 within "
              + settings.livenessTimeout().toMillis()
              + " ms)";
      if (livenessMisses < settings.livenessMisses()) {
        reason = what;
        log.warn("Shimmy for {} ({}) is {}", model, p, what);
        pool.changed();
        return;
      }
      kill = true;
      live = null;
      status = BackendStatus.RESTARTING;
      reason = what + "; killed and restarting it";
      log.error("Shimmy for {} ({}) is {}; killing and restarting it", model, p, what);
      settings.events().instanceCrashed(model, null);
      pool.changed();
    }
    if (kill) {
      Path dir;
      synchronized (pool.lock) {
        dir = liveDir;
        liveDir = null;
      }
      p.stop(Duration.ZERO);
      if (dir != null) {
        pool.directory.delete(dir);
      }
      synchronized (pool.lock) {
        if (!retired && !pool.stopped && live == null && !replacing) {
          scheduleRecovery(
              "degraded: " + settings.livenessMisses() + " liveness probes missed in a row");
        }
      }
    }
  }

  // ---------------------------------------------------------------- replacement and retirement

  /**
   * Whether the files this instance was started with differ from {@code d}'s now. Holds the lock.
   */
  boolean filesChanged(DiscoveredModel d) {
    if (live == null || stamp.isEmpty()) {
      return false;
    }
    return !stamp.equals(FileStamp.of(resolveFiles(d)));
  }

  /**
   * Replaces the instance with one started on {@code d}'s files: blue-green (the old process serves
   * until the new one is ready, then drains) or in place. Without a live process the next start
   * simply uses the new files.
   *
   * @throws SupervisorException when the new process does not come up; the old one keeps serving
   */
  void replace(DiscoveredModel d, Duration timeout) {
    ShimmyProcess old;
    Path oldDir;
    long gen;
    synchronized (pool.lock) {
      spec = d;
      if (retired || pool.stopped) {
        return;
      }
      old = live;
      oldDir = liveDir;
      if (old == null) {
        return;
      }
      replacing = true;
      gen = generation;
      if (settings.blueGreen()) {
        reason = "replacing: the model's files changed";
      } else {
        live = null;
        liveDir = null;
        status = BackendStatus.RESTARTING;
        reason = "restarting in place: the model's files changed";
      }
      pool.changed();
    }
    log.info(
        "replacing {} of {} ({}): its files changed",
        old,
        model,
        settings.blueGreen() ? "blue-green" : "in place");
    if (!settings.blueGreen()) {
      retireProcess(old, oldDir);
    }
    Launched l;
    try {
      l = launch(d, timeout, () -> cancelled(gen));
    } catch (SupervisorException e) {
      synchronized (pool.lock) {
        replacing = false;
        lastError = e;
        if (retired || pool.stopped) {
          throw e;
        }
        if (live != null && live.isAlive()) {
          reason = "replacement failed, the previous instance keeps serving: " + e.getMessage();
          pool.changed();
        } else {
          startFailed(e);
        }
      }
      throw e;
    }
    ShimmyProcess previous;
    Path previousDir;
    boolean stale;
    synchronized (pool.lock) {
      replacing = false;
      stale = retired || pool.stopped;
      if (stale) {
        previous = null;
        previousDir = null;
      } else {
        previous = live;
        previousDir = liveDir;
        if (previous != null) {
          draining.add(previous);
        }
        goLive(l);
      }
    }
    if (stale) {
      stopProcess(l.process(), l.dir());
      return;
    }
    settings.events().instanceStopped(model, "replaced");
    if (previous != null) {
      ShimmyProcess p = previous;
      Path dir = previousDir;
      pool.workers.execute(() -> retireProcess(p, dir));
    }
    if (!l.process().isAlive()) {
      processExited(l.process());
    }
  }

  /** Drains and stops an old process (blue-green or in-place replacement). */
  private void retireProcess(ShimmyProcess p, @Nullable Path dir) {
    long t0 = System.nanoTime();
    if (!p.drain(settings.drainTimeout())) {
      log.warn(
          "{} of {} still had {} requests in flight after the {} drain; stopping it anyway",
          p,
          model,
          p.inFlight(),
          settings.drainTimeout());
    }
    stopProcess(p, dir);
    log.info(
        "retired {} of {} after {} ms",
        p,
        model,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  private void stopProcess(ShimmyProcess p, @Nullable Path dir) {
    p.stop(settings.stopGrace());
    if (dir != null) {
      pool.directory.delete(dir);
    }
    synchronized (pool.lock) {
      draining.remove(p);
      pool.changed();
    }
  }

  /** Marks the instance retired (no new leases, no restart). Holds the lock. */
  void markRetired(String why) {
    retired = true;
    retireWhy = why;
    admitting = false;
    generation++;
  }

  /**
   * Drains and stops every process of a retired instance (on a worker thread). Once drained it is
   * {@link #terminating}: its process gets SIGTERM and no longer holds room (Shimmy has no signal
   * handling and dies at once), so a swap does not wait for the process to be reaped.
   */
  void shutDown() {
    ShimmyProcess p;
    Path dir;
    List<ShimmyProcess> old;
    synchronized (pool.lock) {
      p = live;
      dir = liveDir;
      old = new ArrayList<>(draining);
    }
    if (p != null && !p.drain(settings.drainTimeout())) {
      log.warn(
          "{} of {} still had {} requests in flight after the {} drain; stopping it anyway",
          p,
          model,
          p.inFlight(),
          settings.drainTimeout());
    }
    synchronized (pool.lock) {
      terminating = true;
      pool.changed();
    }
    if (p != null) {
      stopProcess(p, dir);
    }
    for (ShimmyProcess d : old) {
      d.stop(settings.stopGrace());
    }
    ShimmyProcess starting;
    synchronized (pool.lock) {
      starting = pending;
    }
    if (starting != null) {
      starting.stop(settings.stopGrace());
    }
  }

  // ---------------------------------------------------------------- launching

  /** A process that became ready, with its private directory and the files it was started on. */
  private record Launched(
      ShimmyProcess process, Path dir, List<FileStamp> stamp, Instant startedAt) {}

  /** The model's files: as discovered, or (for a discovery that names ids only) by a scan. */
  private List<Path> resolveFiles(DiscoveredModel d) {
    if (!d.files().isEmpty()) {
      return d.files();
    }
    return pool.scanFiles(d.id());
  }

  /**
   * Creates the private directory, checks that it gives the model's id, launches Shimmy on it and
   * waits until it serves the model; {@code cancelled} aborts the wait.
   */
  private Launched launch(DiscoveredModel d, Duration timeout, BooleanSupplier cancelled) {
    Optional<String> problem = settings.launcher().executableProblem(settings.modelDir());
    if (problem.isPresent()) {
      throw new SupervisorException(Reason.EXECUTABLE_NOT_FOUND, problem.get());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Path> files = resolveFiles(d);
    if (files.isEmpty()) {
      throw new SupervisorException(
          Reason.READY_TIMEOUT, "no files found for model " + model + " in " + settings.modelDir());
    }
    DiscoveredModel withFiles = new DiscoveredModel(model, files, d.sizeBytes());
    List<FileStamp> stamps = FileStamp.of(files);
    Path dir;
    try {
      dir = pool.directory.create(withFiles);
    } catch (UncheckedIOException e) {
      // InstanceDirectory.create always gives a message (which directory, which model, why)
      throw new SupervisorException(
          Reason.READY_TIMEOUT, String.valueOf(e.getMessage()), null, List.of(), e);
    }
    try {
      List<String> ids =
          settings.discovery().discover(dir).stream().map(DiscoveredModel::id).toList();
      if (!ids.equals(List.of(model))) {
        throw new SupervisorException(
            Reason.READY_TIMEOUT,
            "the private directory "
                + dir
                + " for "
                + model
                + " gives the ids "
                + ids
                + " instead of ["
                + model
                + "]");
      }
    } catch (UncheckedIOException e) {
      pool.directory.delete(dir);
      throw new SupervisorException(
          Reason.READY_TIMEOUT,
          "discovery of " + dir + " failed: " + e.getMessage(),
          null,
          List.of(),
          e);
    } catch (SupervisorException e) {
      pool.directory.delete(dir);
      throw e;
    }
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      ProcessBuilder pb =
          settings
              .launcher()
              .processBuilder(settings.modelDir(), serveArguments(port, dir), settings.watchdog());
      ShimmyProcess p;
      Instant launchedAt = Instant.now();
      try {
        p = ShimmyProcess.launch(pb, port, settings.tailLines(), settings.watchdog());
      } catch (IOException e) {
        pool.directory.delete(dir);
        throw new SupervisorException(
            Reason.EXECUTABLE_NOT_FOUND,
            "cannot run Shimmy (" + settings.launcher().command().get(0) + "): " + e.getMessage(),
            null,
            List.of(),
            e);
      }
      pool.track(p);
      synchronized (pool.lock) {
        pending = p;
        pool.changed();
      }
      p.onExit().thenRunAsync(() -> processExited(p), pool.workers);
      log.info(
          "started Shimmy pid={} on port {} for {} ({} file(s), {} bytes)",
          p.pid(),
          port,
          model,
          files.size(),
          d.sizeBytes());
      try {
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        String warm =
            settings.warmUpModel() == null ? null : settings.warmUpModel().apply(List.of(model));
        p.awaitReady(
            settings.http(), List.of(model), left, settings.pollInterval(), cancelled, warm);
        return new Launched(p, dir, stamps, launchedAt);
      } catch (SupervisorException e) {
        p.stop(settings.stopGrace());
        boolean portTaken =
            e.reason() == Reason.EXITED
                && e.outputTail().stream()
                    .anyMatch(line -> line.contains("Address already in use"));
        if (portTaken && attempt < PORT_IN_USE_RETRIES && System.nanoTime() < deadline) {
          log.info("port {} was taken before Shimmy bound it; trying another", port);
          continue;
        }
        pool.directory.delete(dir);
        if (e.reason() == Reason.EXITED && Integer.valueOf(127).equals(e.exitCode())) {
          throw new SupervisorException(
              Reason.EXECUTABLE_NOT_FOUND, e.getMessage(), e.exitCode(), e.outputTail(), e);
        }
        throw e;
      } finally {
        synchronized (pool.lock) {
          if (pending == p) {
            pending = null;
          }
        }
      }
    }
  }

  private static List<String> serveArguments(int port, Path dir) {
    return io.github.shimmypull.supervisor.ShimmyLauncher.serveArguments(port, dir);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  @Override
  public String toString() {
    return "instance of " + model;
  }

  /** What identifies a model file's content for change detection: path, size, modification time. */
  record FileStamp(Path path, long size, long modifiedMillis) {
    static List<FileStamp> of(List<Path> files) {
      List<FileStamp> out = new ArrayList<>();
      for (Path f : files) {
        try {
          out.add(new FileStamp(f, Files.size(f), Files.getLastModifiedTime(f).toMillis()));
        } catch (IOException e) {
          out.add(new FileStamp(f, -1, -1));
        }
      }
      return List.copyOf(out);
    }
  }
}
