package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.Lease;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.supervisor.internal.InstancePool;
import io.github.shimmypull.supervisor.internal.PoolSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Shimmy as child processes, one instance per model (Shimmy 2.5.0 pins the first model it
 * loads for the life of its process, so one process cannot answer for two models). Each instance
 * serves a private directory under {@code <model-dir>/.shimmy-pull/instances/} that links only its
 * model's files, runs in an isolated environment (see {@link ShimmyLauncher}) on a free loopback
 * port, and is ready once {@code /health} and {@code /v1/models} answer.
 *
 * <ul>
 *   <li><b>On demand, within a capacity:</b> {@link #acquire(String, Duration)} starts the model's
 *       instance when it is not running; at most {@code maxLoadedModels} instances (and {@code
 *       maxLoadedBytes} of model files) run; the least-recently-used idle instance is stopped to
 *       make room, never one with requests in flight; requests that wait for room queue in arrival
 *       order (bounded, OVERLOADED past the bound) and a busy instance yields its slot to the
 *       queue's head, so no model starves.
 *   <li><b>Keep-alive:</b> an idle instance is stopped after {@code keepAlive} (never by default).
 *   <li><b>Changes:</b> {@link #refresh(Collection, Duration)} replaces an instance whose files
 *       changed blue-green (the old process drains), stops one whose model is gone, and leaves the
 *       others alone.
 *   <li><b>Faults, per instance:</b> crash restart with exponential backoff and jitter and its own
 *       crash-loop breaker (crashes counted in a window whether or not the instance had become
 *       ready); a liveness probe ({@code GET /health} with a timeout) kills and restarts a hung
 *       instance after {@code livenessMisses} misses.
 *   <li><b>No orphans:</b> SIGTERM, grace, SIGKILL of each process tree; a JVM shutdown hook; a
 *       {@code /bin/sh} watchdog per instance that kills it when this JVM dies, even by SIGKILL.
 * </ul>
 *
 * <p>Create it with {@link #newBuilder(Path)}; {@link #start()} discovers the directory and
 * launches the instances of the first models that fit the capacity (see {@link
 * Builder#warmAtStart}); other instances start on the first request for their model (or {@link
 * #load}, or a {@code warm} id of {@link #refresh}).
 */
public final class ProcessShimmySupervisor implements ShimmySupervisor {

  private static final Logger log = LoggerFactory.getLogger(ProcessShimmySupervisor.class);

  private final Path modelDir;
  private final ShimmyLauncher launcher;
  private final InstancePool pool;

  private ProcessShimmySupervisor(Builder b) {
    this.modelDir = b.modelDir.toAbsolutePath().normalize();
    this.launcher = b.launcher != null ? b.launcher : ShimmyLauncher.newBuilder(b.command).build();
    if (modelDir.toString().contains(";")) {
      throw new IllegalArgumentException(
          "Shimmy splits --model-dirs on ';', so the model directory must not contain one: "
              + modelDir);
    }
    OkHttpClient http =
        b.http != null
            ? b.http
            : new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(30))
                .retryOnConnectionFailure(false)
                .build();
    this.pool =
        new InstancePool(
            new PoolSettings(
                modelDir,
                launcher,
                b.restartMode == RestartMode.BLUE_GREEN,
                b.readyTimeout,
                b.pollInterval,
                b.stopGrace,
                b.drainTimeout,
                b.initialBackoff,
                b.maxBackoff,
                b.crashLoopCrashes,
                b.crashLoopWindow,
                b.failedRetryInterval,
                b.discovery,
                b.warmUpModel,
                b.watchdog && ShimmyLauncher.watchdogAvailable(),
                http,
                b.tailLines,
                b.maxLoadedModels,
                b.maxLoadedBytes,
                b.maxQueue,
                b.queueTimeout,
                b.keepAlive,
                b.livenessInterval,
                b.livenessTimeout,
                b.livenessMisses,
                b.warmAtStart,
                b.events));
    if (ShimmyLauncher.shimmySkipsDirectory(modelDir)) {
      log.warn(
          "Shimmy skips a model directory named '{}' (hidden or system name), so discovery finds"
              + " nothing in {}. Use a directory with another name.",
          modelDir.getFileName(),
          modelDir);
    }
  }

  /** A builder for a supervisor of the model directory {@code modelDir}. */
  public static Builder newBuilder(Path modelDir) {
    return new Builder(modelDir);
  }

  /** The model directory. */
  public Path modelDirectory() {
    return modelDir;
  }

  /** The launcher (command, environment, home) this supervisor uses. */
  public ShimmyLauncher launcher() {
    return launcher;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Removes stale instance directories, checks the executable (state {@code unavailable} when it
   * cannot be run), discovers the model directory and (by default) launches the instances of the
   * first models that fit the capacity, without waiting for them (state {@code idle} when the
   * directory holds no model). Idempotent.
   */
  @Override
  public void start() {
    pool.start();
  }

  /**
   * Transitional: the old single-instance restart, now {@link #refresh(Collection, Duration)} with
   * {@code expectedIds} as the models to warm. Callers move to {@code refresh}.
   */
  @Override
  public void restart(Collection<String> expectedIds, Duration timeout) {
    refresh(expectedIds, timeout);
  }

  @Override
  public void refresh(Collection<String> warm, Duration timeout) {
    pool.refresh(warm, timeout);
  }

  @Override
  public List<DiscoveredModel> models() {
    return pool.models();
  }

  @Override
  public List<InstanceState> instances() {
    return pool.instances();
  }

  @Override
  public BackendState state() {
    return pool.state();
  }

  @Override
  public void addListener(Consumer<BackendState> listener) {
    pool.addListener(listener);
  }

  @Override
  public Lease acquire(String model, Duration wait) {
    return pool.acquire(model, wait);
  }

  @Override
  public @Nullable Lease tryAcquire(String model) {
    return pool.tryAcquire(model);
  }

  @Override
  public Lease acquire() {
    return pool.acquireAny();
  }

  /**
   * Leases the most recently used ready instance, waiting up to {@code wait} while one starts; when
   * nothing runs and the directory holds exactly one model, starts that model's instance.
   */
  @Override
  public Lease acquire(Duration wait) {
    return pool.acquireAny(wait);
  }

  @Override
  public void load(String model, Duration timeout) {
    pool.acquire(model, timeout).close();
  }

  @Override
  public boolean unload(String model) {
    return pool.unload(model);
  }

  @Override
  public void stop() {
    pool.stop();
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link ProcessShimmySupervisor}; every setting has a documented default. */
  public static final class Builder {
    private final Path modelDir;
    private List<String> command = ShimmyOptions.DEFAULT_SHIMMY_COMMAND;
    private @Nullable ShimmyLauncher launcher;
    private RestartMode restartMode = ShimmyOptions.DEFAULT_RESTART_MODE;
    private Duration readyTimeout = ShimmyOptions.DEFAULT_READY_TIMEOUT;
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
    private int maxLoadedModels = ShimmyOptions.DEFAULT_MAX_LOADED_MODELS;
    private long maxLoadedBytes = 0;
    private int maxQueue = ShimmyOptions.DEFAULT_MAX_QUEUE;
    private Duration queueTimeout = ShimmyOptions.DEFAULT_QUEUE_TIMEOUT;
    private Duration keepAlive = ShimmyOptions.KEEP_ALIVE_NEVER;
    private Duration livenessInterval = Duration.ofSeconds(10);
    private Duration livenessTimeout = Duration.ofSeconds(5);
    private int livenessMisses = 3;
    private SupervisorEvents events = SupervisorEvents.NONE;
    private boolean warmAtStart = true;

    private Builder(Path modelDir) {
      this.modelDir = modelDir;
    }

    /** The Shimmy command: executable plus optional leading arguments (default {@code shimmy}). */
    public Builder command(List<String> command) {
      this.command = Require.command(command);
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

    /**
     * How an instance whose files changed is replaced: {@code blue-green} (default) or {@code
     * in-place}.
     */
    public Builder restartMode(RestartMode restartMode) {
      this.restartMode = restartMode;
      return this;
    }

    /** How long an instance's start and crash recovery wait for Shimmy to serve (default 120 s). */
    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = Require.positive(readyTimeout, "readyTimeout");
      return this;
    }

    /** Interval between readiness probes (default 25 ms). */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = Require.positive(pollInterval, "pollInterval");
      return this;
    }

    /** Time between SIGTERM and SIGKILL when stopping an instance (default 5 s). */
    public Builder stopGrace(Duration stopGrace) {
      this.stopGrace = Require.notNegative(stopGrace, "stopGrace");
      return this;
    }

    /** How long a replaced instance may finish requests in flight (default 30 s). */
    public Builder drainTimeout(Duration drainTimeout) {
      this.drainTimeout = Require.notNegative(drainTimeout, "drainTimeout");
      return this;
    }

    /**
     * Backoff after crashes: first delay (default 500 ms, jittered to 250–500 ms) and cap (default
     * 30 s).
     */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = Require.positive(initial, "initial backoff");
      this.maxBackoff = Require.positive(max, "max backoff");
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
      this.crashLoopWindow = Require.positive(window, "crash-loop window");
      this.failedRetryInterval = Require.positive(retryInterval, "crash-loop retry interval");
      return this;
    }

    /**
     * Tells which models the directory holds and checks each private directory (default {@link
     * ScanDiscoveryRunner}).
     */
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

    /**
     * Warm up the first expected id (in sorted order) after each start; see {@link #warmUpModel}.
     */
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

    /**
     * How many instances (models) may run at once (default 1: one GPU holds one model). When full,
     * the least-recently-used idle instance is stopped to make room.
     */
    public Builder maxLoadedModels(int maxLoadedModels) {
      this.maxLoadedModels = Require.atLeastOne(maxLoadedModels, "maxLoadedModels");
      return this;
    }

    /**
     * The most bytes of model files (the sum over running instances) that may be loaded at once; 0
     * or negative: no limit (default). A model larger than the limit still runs, alone.
     */
    public Builder maxLoadedBytes(long maxLoadedBytes) {
      this.maxLoadedBytes = Math.max(0, maxLoadedBytes);
      return this;
    }

    /** How many requests may wait for room at once (default 64); one more gets OVERLOADED. */
    public Builder maxQueue(int maxQueue) {
      this.maxQueue = Require.notNegative(maxQueue, "maxQueue");
      return this;
    }

    /**
     * The longest a request waits in the queue for room (default 60 s; the caller's own wait may be
     * shorter); past it the request gets OVERLOADED.
     */
    public Builder queueTimeout(Duration queueTimeout) {
      this.queueTimeout = Require.notNegative(queueTimeout, "queueTimeout");
      return this;
    }

    /**
     * How long an idle instance keeps running: negative = forever (default), zero = stop as soon as
     * its last request ends.
     */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    /**
     * Interval of the liveness probe ({@code GET /health}) of each ready instance (default 10 s;
     * zero: off).
     */
    public Builder livenessInterval(Duration livenessInterval) {
      this.livenessInterval = Require.notNegative(livenessInterval, "livenessInterval");
      return this;
    }

    /** How long a liveness probe waits for its answer (default 5 s). */
    public Builder livenessTimeout(Duration livenessTimeout) {
      this.livenessTimeout = Require.positive(livenessTimeout, "livenessTimeout");
      return this;
    }

    /**
     * Missed liveness probes in a row after which the instance is killed and restarted (default 3);
     * the first misses mark it degraded.
     */
    public Builder livenessMisses(int livenessMisses) {
      this.livenessMisses = Require.atLeastOne(livenessMisses, "livenessMisses");
      return this;
    }

    /**
     * Whether {@code start()} launches instances right away (default true): those of the first
     * models, in id order, that fit the capacity, in the background (Shimmy loads weights on the
     * first request, so an idle instance costs little, and the first request skips the process
     * start). With false, every instance starts on demand.
     */
    public Builder warmAtStart(boolean warmAtStart) {
      this.warmAtStart = warmAtStart;
      return this;
    }

    /**
     * Receives per-model counts for metrics (starts, evictions, queue waits, ...); default none.
     */
    public Builder events(SupervisorEvents events) {
      this.events = events;
      return this;
    }

    /** The supervisor; nothing runs until {@code start()} or {@code restart(...)}. */
    public ProcessShimmySupervisor build() {
      return new ProcessShimmySupervisor(this);
    }
  }
}
