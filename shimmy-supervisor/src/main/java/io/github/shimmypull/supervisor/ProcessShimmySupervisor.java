package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.core.supervisor.SupervisorException.Reason;
import io.github.shimmypull.supervisor.internal.ShimmyProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Shimmy as a child process: starts it on a free loopback port in an isolated environment
 * (see {@link ShimmyLauncher}), decides readiness by polling {@code /health} and {@code
 * /v1/models}, restarts it after a crash with exponential backoff and jitter (a crash-loop breaker
 * stops the spinning), restarts it to serve a new model set either blue-green (no downtime: start a
 * second instance, switch, drain the old one) or in place, and never leaves a child behind (SIGTERM,
 * grace, SIGKILL of the whole process tree; a JVM shutdown hook; a {@code /bin/sh} watchdog that
 * kills Shimmy when this JVM dies, even by SIGKILL).
 *
 * <p>Create it with {@link #newBuilder(Path)}; it does nothing until {@link #start()} or {@link
 * #restart(Collection, Duration)}.
 */
public final class ProcessShimmySupervisor implements ShimmySupervisor {

  private static final Logger log = LoggerFactory.getLogger(ProcessShimmySupervisor.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int PORT_IN_USE_RETRIES = 3;

  private final Path modelDir;
  private final ShimmyLauncher launcher;
  private final RestartMode restartMode;
  private final Duration readyTimeout;
  private final Duration pollInterval;
  private final Duration stopGrace;
  private final Duration drainTimeout;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final int crashLoopCrashes;
  private final Duration crashLoopWindow;
  private final Duration failedRetryInterval;
  private final DiscoveryRunner discovery;
  private final @Nullable Function<List<String>, @Nullable String> warmUpModel;
  private final boolean watchdog;
  private final OkHttpClient http;
  private final int tailLines;

  private final ReentrantLock operations = new ReentrantLock(true);
  private final Object stateLock = new Object();
  private final List<Consumer<BackendState>> listeners = new CopyOnWriteArrayList<>();
  private final Set<ShimmyProcess> instances = ConcurrentHashMap.newKeySet();
  private final ExecutorService workers;
  private final ScheduledExecutorService timer;
  private final ExecutorService events;

  // Guarded by stateLock.
  private BackendStatus status = BackendStatus.IDLE;
  private @Nullable ShimmyProcess live;
  private @Nullable ShimmyProcess pending;
  private int launches;
  private @Nullable Integer lastExit;
  private @Nullable String reason;
  private List<String> lastTail = List.of();
  private long generation;
  private boolean operationInProgress;
  private volatile boolean stopped;
  private int consecutiveFailures;
  private final Deque<Long> crashTimes = new ArrayDeque<>();

  private ProcessShimmySupervisor(Builder b) {
    this.modelDir = b.modelDir.toAbsolutePath().normalize();
    this.launcher = b.launcher != null ? b.launcher : ShimmyLauncher.newBuilder(b.command).build();
    this.restartMode = b.restartMode;
    this.readyTimeout = b.readyTimeout;
    this.pollInterval = b.pollInterval;
    this.stopGrace = b.stopGrace;
    this.drainTimeout = b.drainTimeout;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.crashLoopCrashes = b.crashLoopCrashes;
    this.crashLoopWindow = b.crashLoopWindow;
    this.failedRetryInterval = b.failedRetryInterval;
    this.discovery = b.discovery;
    this.warmUpModel = b.warmUpModel;
    this.watchdog = b.watchdog && ShimmyLauncher.watchdogAvailable();
    this.http =
        b.http != null
            ? b.http
            : new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(30))
                .retryOnConnectionFailure(false)
                .build();
    this.tailLines = b.tailLines;
    this.workers = Executors.newCachedThreadPool(daemon("shimmy-supervisor-"));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("shimmy-supervisor-timer-"));
    this.events = Executors.newSingleThreadExecutor(daemon("shimmy-supervisor-events-"));
    if (modelDir.toString().contains(";")) {
      throw new IllegalArgumentException(
          "Shimmy splits --model-dirs on ';', so the model directory must not contain one: " + modelDir);
    }
    if (ShimmyLauncher.shimmySkipsDirectory(modelDir)) {
      log.warn(
          "Shimmy skips a model directory named '{}' (hidden or system name); it will serve nothing"
              + " from {}. Use a directory with another name.",
          modelDir.getFileName(),
          modelDir);
    }
  }

  /** A builder for a supervisor of the model directory {@code modelDir}. */
  public static Builder newBuilder(Path modelDir) {
    return new Builder(modelDir);
  }

  private static java.util.concurrent.ThreadFactory daemon(String prefix) {
    return r -> {
      Thread t = new Thread(r, prefix + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The model directory Shimmy serves. */
  public Path modelDirectory() {
    return modelDir;
  }

  /** The launcher (command, environment, home) this supervisor uses. */
  public ShimmyLauncher launcher() {
    return launcher;
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void start() {
    long gen;
    synchronized (stateLock) {
      ensureNotStopped();
      if (live != null || pending != null || operationInProgress) {
        return;
      }
      switch (status) {
        case STARTING, READY, RESTARTING, BACKING_OFF, FAILED -> {
          return;
        }
        default -> {}
      }
      gen = generation;
    }
    Optional<String> problem = launcher.executableProblem(modelDir);
    if (problem.isPresent()) {
      synchronized (stateLock) {
        if (gen == generation) {
          setStatus(BackendStatus.UNAVAILABLE, problem.get());
        }
      }
      return;
    }
    List<String> ids;
    try {
      ids = discoverIds();
    } catch (UncheckedIOException e) {
      synchronized (stateLock) {
        if (gen == generation) {
          scheduleRecovery("discovery failed: " + e.getMessage());
        }
      }
      return;
    }
    synchronized (stateLock) {
      if (gen != generation || live != null || pending != null) {
        return;
      }
      if (ids.isEmpty()) {
        setStatus(BackendStatus.IDLE, "no model in " + modelDir);
        return;
      }
      setStatus(BackendStatus.STARTING, null);
    }
    workers.execute(() -> attemptStart(gen));
  }

  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {
    Set<String> expected = new TreeSet<>(expectedIds);
    synchronized (stateLock) {
      ensureNotStopped();
      generation++;
    }
    operations.lock();
    try {
      synchronized (stateLock) {
        ensureNotStopped();
        operationInProgress = true;
      }
      if (expected.isEmpty()) {
        goIdle();
        return;
      }
      ShimmyProcess old;
      synchronized (stateLock) {
        old = live != null && live.isAlive() ? live : null;
        if (old == null) {
          setStatus(launches == 0 ? BackendStatus.STARTING : BackendStatus.RESTARTING, null);
        } else {
          setStatus(BackendStatus.RESTARTING, null);
          if (restartMode == RestartMode.IN_PLACE) {
            live = null;
            publish();
          }
        }
      }
      log.info(
          "restarting Shimmy {} to serve {} (old instance: {})",
          restartMode.wireName(),
          expected,
          old == null ? "none" : old);
      if (old != null && restartMode == RestartMode.IN_PLACE) {
        retire(old);
        old = null;
      }
      ShimmyProcess fresh;
      try {
        fresh = launchAndAwait(expected, timeout, () -> stopped);
      } catch (SupervisorException e) {
        restartFailed(e, old);
        throw e;
      }
      makeLive(fresh);
      if (old != null) {
        ShimmyProcess retiring = old;
        workers.execute(() -> retire(retiring));
      }
    } finally {
      synchronized (stateLock) {
        operationInProgress = false;
      }
      operations.unlock();
    }
  }

  private void goIdle() {
    ShimmyProcess old;
    synchronized (stateLock) {
      old = live;
      live = null;
      consecutiveFailures = 0;
      crashTimes.clear();
      setStatus(BackendStatus.IDLE, "no model to serve");
    }
    if (old != null) {
      ShimmyProcess retiring = old;
      workers.execute(() -> retire(retiring));
    }
  }

  private void restartFailed(SupervisorException e, @Nullable ShimmyProcess old) {
    synchronized (stateLock) {
      recordFailure(e);
      if (e.reason() == Reason.STOPPED) {
        return;
      }
      if (old != null && old.isAlive() && live == old) {
        setStatus(
            BackendStatus.READY,
            "restart failed, the previous instance keeps serving: " + e.getMessage());
        log.warn("blue-green restart failed; rolled back to {}: {}", old, e.getMessage());
        return;
      }
      if (e.reason() == Reason.EXECUTABLE_NOT_FOUND) {
        setStatus(BackendStatus.UNAVAILABLE, e.getMessage());
        return;
      }
      scheduleRecovery(e.getMessage());
    }
  }

  @Override
  public void stop() {
    List<ShimmyProcess> toStop;
    synchronized (stateLock) {
      if (stopped) {
        return;
      }
      stopped = true;
      generation++;
      stateLock.notifyAll();
    }
    operations.lock();
    try {
      synchronized (stateLock) {
        live = null;
        toStop = new ArrayList<>(instances);
      }
      List<CompletableFuture<Void>> stops = new ArrayList<>();
      for (ShimmyProcess p : toStop) {
        stops.add(CompletableFuture.runAsync(() -> p.stop(stopGrace), workers));
      }
      CompletableFuture.allOf(stops.toArray(new CompletableFuture<?>[0])).join();
      synchronized (stateLock) {
        setStatus(BackendStatus.STOPPED, "stopped");
      }
      log.info("Shimmy supervisor for {} stopped ({} instances ended)", modelDir, toStop.size());
    } finally {
      operations.unlock();
      timer.shutdownNow();
      workers.shutdown();
      events.shutdown();
    }
  }

  private void ensureNotStopped() {
    if (stopped) {
      throw new SupervisorException(Reason.STOPPED, "the Shimmy supervisor is stopped");
    }
  }

  // ---------------------------------------------------------------- start attempts and crashes

  /** One (re)start attempt outside restart(): first start, or recovery after a crash. */
  private void attemptStart(long gen) {
    operations.lock();
    try {
      synchronized (stateLock) {
        if (gen != generation || stopped || operationInProgress) {
          return;
        }
        if (live != null && live.isAlive()) {
          return;
        }
        operationInProgress = true;
      }
      List<String> ids;
      try {
        ids = discoverIds();
      } catch (UncheckedIOException e) {
        synchronized (stateLock) {
          scheduleRecovery("discovery failed: " + e.getMessage());
        }
        return;
      }
      if (ids.isEmpty()) {
        synchronized (stateLock) {
          setStatus(BackendStatus.IDLE, "no model in " + modelDir);
        }
        return;
      }
      try {
        makeLive(launchAndAwait(ids, readyTimeout, () -> stopped || gen != currentGeneration()));
      } catch (SupervisorException e) {
        synchronized (stateLock) {
          recordFailure(e);
          if (e.reason() == Reason.STOPPED) {
            return;
          }
          if (e.reason() == Reason.EXECUTABLE_NOT_FOUND) {
            setStatus(BackendStatus.UNAVAILABLE, e.getMessage());
            return;
          }
          scheduleRecovery(e.getMessage());
        }
      }
    } finally {
      synchronized (stateLock) {
        operationInProgress = false;
      }
      operations.unlock();
    }
  }

  private void recordFailure(SupervisorException e) {
    if (e.exitCode() != null) {
      lastExit = e.exitCode();
    }
    if (!e.outputTail().isEmpty()) {
      lastTail = e.outputTail();
    }
  }

  /** Counts a crash and schedules the next start: backoff, or the breaker's slow retry. Holds stateLock. */
  private void scheduleRecovery(String why) {
    long now = System.nanoTime();
    crashTimes.addLast(now);
    while (!crashTimes.isEmpty() && now - crashTimes.peekFirst() > crashLoopWindow.toNanos()) {
      crashTimes.removeFirst();
    }
    consecutiveFailures++;
    Duration delay;
    if (status == BackendStatus.FAILED || crashTimes.size() >= crashLoopCrashes) {
      delay = failedRetryInterval;
      setStatus(
          BackendStatus.FAILED,
          "crash loop: " + crashTimes.size() + " failures within " + crashLoopWindow.toSeconds()
              + " s; next try in " + delay.toSeconds() + " s; last: " + why);
      log.error(
          "Shimmy keeps failing; crash-loop breaker open, retrying in {} s: {}", delay.toSeconds(), why);
    } else {
      delay = backoff(consecutiveFailures);
      setStatus(BackendStatus.BACKING_OFF, why + "; next try in " + delay.toMillis() + " ms");
      log.warn("Shimmy failed ({}); restarting in {} ms", why, delay.toMillis());
    }
    long gen = generation;
    try {
      timer.schedule(
          () -> workers.execute(() -> attemptStart(gen)), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopping) {
      log.debug("no restart scheduled: the supervisor is stopping");
    }
  }

  /** Exponential backoff with jitter: uniformly between half and all of min(max, initial·2^(n-1)). */
  private Duration backoff(int attempt) {
    double base = initialBackoff.toNanos() * Math.pow(2, Math.min(30, attempt - 1));
    long capped = (long) Math.min(base, maxBackoff.toNanos());
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    return Duration.ofNanos(jittered);
  }

  private void onExit(ShimmyProcess p) {
    Integer code = p.exitCode();
    instances.remove(p);
    List<String> tail = p.stopRequested() ? List.of() : p.finalTail();
    synchronized (stateLock) {
      if (p.stopRequested() || live != p) {
        return;
      }
      live = null;
      lastExit = code;
      lastTail = tail;
      String why = "Shimmy pid " + p.pid() + " exited with code " + code;
      log.warn("{} while serving on port {}", why, p.port());
      if (stopped) {
        return;
      }
      if (operationInProgress) {
        reason = why;
        publish();
        return;
      }
      scheduleRecovery(why);
    }
  }

  private void makeLive(ShimmyProcess p) {
    synchronized (stateLock) {
      if (stopped) {
        workers.execute(() -> p.stop(stopGrace));
        throw new SupervisorException(Reason.STOPPED, "the Shimmy supervisor is stopped");
      }
      live = p;
      consecutiveFailures = 0;
      crashTimes.clear();
      setStatus(BackendStatus.READY, null);
    }
    if (!p.isAlive()) {
      onExit(p);
    }
  }

  private void retire(ShimmyProcess old) {
    long t0 = System.nanoTime();
    boolean drained = old.drain(drainTimeout);
    if (!drained) {
      log.warn(
          "{} still had {} requests in flight after the {} drain; stopping it anyway",
          old,
          old.inFlight(),
          drainTimeout);
    }
    old.stop(stopGrace);
    log.info(
        "retired {} after {} ms", old, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }

  // ---------------------------------------------------------------- launching

  private List<String> discoverIds() {
    List<String> ids = new ArrayList<>();
    for (DiscoveredModel m : discovery.discover(modelDir)) {
      ids.add(m.id());
    }
    return ids;
  }

  /**
   * Launches an instance and waits until it serves {@code expected}; {@code cancelled} aborts the
   * wait (stop(), or a restart() superseding a start attempt). Restarts do not cancel each other:
   * they queue on the operations lock.
   */
  private ShimmyProcess launchAndAwait(
      Collection<String> expected, Duration timeout, BooleanSupplier cancelled) {
    Optional<String> problem = launcher.executableProblem(modelDir);
    if (problem.isPresent()) {
      throw new SupervisorException(Reason.EXECUTABLE_NOT_FOUND, problem.get());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      int port = freePort();
      ProcessBuilder pb =
          launcher.processBuilder(modelDir, ShimmyLauncher.serveArguments(port, modelDir), watchdog);
      ShimmyProcess p;
      try {
        p = ShimmyProcess.launch(pb, port, tailLines, watchdog);
      } catch (IOException e) {
        throw new SupervisorException(
            Reason.EXECUTABLE_NOT_FOUND,
            "cannot run Shimmy (" + launcher.command().get(0) + "): " + e.getMessage(),
            null,
            List.of(),
            e);
      }
      instances.add(p);
      synchronized (stateLock) {
        launches++;
        pending = p;
        publish();
      }
      p.onExit().thenRunAsync(() -> onExit(p), workers);
      log.info(
          "started Shimmy pid={} on port {} for {} ({} expected ids)",
          p.pid(),
          port,
          modelDir,
          expected.size());
      try {
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        String warm = warmUpModel == null ? null : warmUpModel.apply(List.copyOf(expected));
        p.awaitReady(
            http,
            expected,
            left,
            pollInterval,
            cancelled,
            warm);
        return p;
      } catch (SupervisorException e) {
        p.stop(stopGrace);
        boolean portTaken =
            e.reason() == Reason.EXITED
                && e.outputTail().stream().anyMatch(l -> l.contains("Address already in use"));
        if (portTaken && attempt < PORT_IN_USE_RETRIES && System.nanoTime() < deadline) {
          log.info("port {} was taken before Shimmy bound it; trying another", port);
          continue;
        }
        if (e.reason() == Reason.EXITED && Integer.valueOf(127).equals(e.exitCode())) {
          throw new SupervisorException(
              Reason.EXECUTABLE_NOT_FOUND, e.getMessage(), e.exitCode(), e.outputTail(), e);
        }
        throw e;
      } finally {
        synchronized (stateLock) {
          if (pending == p) {
            pending = null;
          }
        }
      }
    }
  }

  private long currentGeneration() {
    synchronized (stateLock) {
      return generation;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  // ---------------------------------------------------------------- state

  /** Sets the status and reason and publishes the new state. Holds stateLock. */
  private void setStatus(BackendStatus newStatus, @Nullable String newReason) {
    if (status != newStatus) {
      log.info("Shimmy backend {} -> {}{}", status.wireName(), newStatus.wireName(),
          newReason == null ? "" : " (" + newReason + ")");
    }
    status = newStatus;
    reason = newReason;
    publish();
  }

  /** Sends the current state to listeners, in order, on the events thread. Holds stateLock. */
  private void publish() {
    BackendState snapshot = snapshot();
    stateLock.notifyAll();
    if (!listeners.isEmpty()) {
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

  private BackendState snapshot() {
    ShimmyProcess shown = live != null ? live : pending;
    return new BackendState(
        status,
        shown == null ? null : shown.pid(),
        shown == null ? null : shown.port(),
        Math.max(0, launches - 1),
        lastExit,
        reason,
        live == null ? List.of() : live.ids(),
        shown == null ? lastTail : shown.tail());
  }

  @Override
  public BackendState state() {
    synchronized (stateLock) {
      return snapshot();
    }
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {
    listeners.add(listener);
  }

  // ---------------------------------------------------------------- leases

  @Override
  public Lease acquire() {
    while (true) {
      ShimmyProcess p;
      BackendStatus s;
      synchronized (stateLock) {
        p = live;
        s = status;
      }
      if (p == null || !p.isAlive()) {
        throw new SupervisorException(
            Reason.NO_BACKEND, "no Shimmy instance is ready (backend " + s.wireName() + ")");
      }
      if (p.tryEnter()) {
        return new InstanceLease(p);
      }
      Thread.onSpinWait();
    }
  }

  @Override
  public Lease acquire(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      try {
        return acquire();
      } catch (SupervisorException e) {
        synchronized (stateLock) {
          long left = deadline - System.nanoTime();
          boolean coming =
              status == BackendStatus.STARTING
                  || status == BackendStatus.RESTARTING
                  || status == BackendStatus.BACKING_OFF
                  || (live != null && !live.isAlive());
          if (live != null && live.isAlive()) {
            continue;
          }
          if (!coming || left <= 0) {
            throw e;
          }
          try {
            stateLock.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 100)));
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw e;
          }
        }
      }
    }
  }

  /** A lease on one instance; closing it ends the request for the drain count. */
  private static final class InstanceLease implements Lease {
    private final ShimmyProcess process;
    private final AtomicBoolean closed = new AtomicBoolean();

    InstanceLease(ShimmyProcess process) {
      this.process = process;
    }

    @Override
    public URI baseUrl() {
      return process.baseUrl();
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        process.leave();
      }
    }

    @Override
    public String toString() {
      return "Lease[" + process + "]";
    }
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link ProcessShimmySupervisor}; every setting has a documented default. */
  public static final class Builder {
    private final Path modelDir;
    private List<String> command = List.of("shimmy");
    private @Nullable ShimmyLauncher launcher;
    private RestartMode restartMode = RestartMode.BLUE_GREEN;
    private Duration readyTimeout = Duration.ofSeconds(120);
    private Duration pollInterval = Duration.ofMillis(25);
    private Duration stopGrace = Duration.ofSeconds(5);
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration initialBackoff = Duration.ofMillis(500);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private int crashLoopCrashes = 5;
    private Duration crashLoopWindow = Duration.ofSeconds(60);
    private Duration failedRetryInterval = Duration.ofMinutes(2);
    private DiscoveryRunner discovery = new ScanDiscoveryRunner();
    private @Nullable Function<List<String>, @Nullable String> warmUpModel;
    private boolean watchdog = true;
    private @Nullable OkHttpClient http;
    private int tailLines = 50;

    private Builder(Path modelDir) {
      this.modelDir = modelDir;
    }

    /** The Shimmy command: executable plus optional leading arguments (default {@code shimmy}). */
    public Builder command(List<String> command) {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("the shimmy command is empty");
      }
      this.command = List.copyOf(command);
      return this;
    }

    /** The Shimmy command as a string, split by {@link ShimmyCommand#parse(String)}. */
    public Builder command(String command) {
      return command(ShimmyCommand.parse(command));
    }

    /**
     * A fully configured launcher (command, environment, home directory); overrides {@link
     * #command(List)}. Share it with {@link CliDiscoveryRunner} so both run Shimmy the same way.
     */
    public Builder launcher(ShimmyLauncher launcher) {
      this.launcher = launcher;
      return this;
    }

    /** {@code blue-green} (default) or {@code in-place}. */
    public Builder restartMode(RestartMode restartMode) {
      this.restartMode = restartMode;
      return this;
    }

    /** How long start() and crash recovery wait for Shimmy to serve (default 120 s). */
    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = positive(readyTimeout, "readyTimeout");
      return this;
    }

    /** Interval between readiness probes (default 25 ms). */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = positive(pollInterval, "pollInterval");
      return this;
    }

    /** Time between SIGTERM and SIGKILL when stopping an instance (default 5 s). */
    public Builder stopGrace(Duration stopGrace) {
      this.stopGrace = notNegative(stopGrace, "stopGrace");
      return this;
    }

    /** How long a replaced instance may finish requests in flight (default 30 s). */
    public Builder drainTimeout(Duration drainTimeout) {
      this.drainTimeout = notNegative(drainTimeout, "drainTimeout");
      return this;
    }

    /** Backoff after crashes: first delay (default 500 ms, jittered to 250–500 ms) and cap (default 30 s). */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = positive(initial, "initial backoff");
      this.maxBackoff = positive(max, "max backoff");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff must not be below the initial backoff");
      }
      return this;
    }

    /**
     * The crash-loop breaker: {@code crashes} failures within {@code window} (default 5 in 60 s)
     * open it (state {@code failed}); it then retries every {@code retryInterval} (default 2 min).
     */
    public Builder crashLoop(int crashes, Duration window, Duration retryInterval) {
      if (crashes < 1) {
        throw new IllegalArgumentException("crashes must be at least 1");
      }
      this.crashLoopCrashes = crashes;
      this.crashLoopWindow = positive(window, "crash-loop window");
      this.failedRetryInterval = positive(retryInterval, "crash-loop retry interval");
      return this;
    }

    /** Tells which ids the model directory holds, to decide idle vs start (default {@link ScanDiscoveryRunner}). */
    public Builder discovery(DiscoveryRunner discovery) {
      this.discovery = discovery;
      return this;
    }

    /**
     * Warm-up after readiness: a one-token, non-streaming chat completion for the id the chooser
     * picks from the expected ids (null: none). Off by default. Note that Shimmy pins the first
     * model it loads for the life of the process.
     */
    public Builder warmUpModel(Function<List<String>, @Nullable String> chooser) {
      this.warmUpModel = chooser;
      return this;
    }

    /** Warm up the first expected id (in sorted order) after each start; see {@link #warmUpModel}. */
    public Builder warmUp(boolean enabled) {
      this.warmUpModel = enabled ? ids -> ids.isEmpty() ? null : ids.get(0) : null;
      return this;
    }

    /**
     * Runs Shimmy under a {@code /bin/sh} watchdog that kills it when this JVM dies, even by
     * SIGKILL (default true; ignored where {@code /bin/sh} is missing).
     */
    public Builder watchdog(boolean watchdog) {
      this.watchdog = watchdog;
      return this;
    }

    /** The HTTP client for readiness probes and warm-up (default: a private one). */
    public Builder httpClient(OkHttpClient http) {
      this.http = http;
      return this;
    }

    /** How many lines of the child's output to keep for states and errors (default 50). */
    public Builder outputTailLines(int lines) {
      if (lines < 1) {
        throw new IllegalArgumentException("outputTailLines must be at least 1");
      }
      this.tailLines = lines;
      return this;
    }

    /** The supervisor; nothing runs until {@code start()} or {@code restart(...)}. */
    public ProcessShimmySupervisor build() {
      return new ProcessShimmySupervisor(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    private static Duration notNegative(Duration d, String name) {
      if (d.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + d);
      }
      return d;
    }
  }
}
