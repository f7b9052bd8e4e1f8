package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PreloadResult;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.ollama.ModelNames;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.supervisor.internal.SupervisorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root for users without Spring: builds the Hugging Face puller, the model
 * directory, the process supervisor, the pull coordinator, the reverse proxy and the HTTP API from
 * one set of options, all sharing one {@link OkHttpClient}.
 *
 * <pre>{@code
 * try (ShimmyRuntime runtime = ShimmyRuntime.builder().modelDir(Path.of("models")).build()) {
 *   runtime.start();                    // create the dir, preload, start Shimmy and the watcher
 *   HttpHandler api = runtime.httpHandler();   // mount it in any HTTP server
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops Shimmy (no child process is left behind) and the watcher.
 */
public final class ShimmyRuntime implements AutoCloseable {

  /** The Hugging Face endpoint used when neither the builder nor {@code $HF_ENDPOINT} sets one. */
  public static final String DEFAULT_HF_ENDPOINT = HuggingFacePuller.DEFAULT_ENDPOINT;

  /** Default {@link Builder#readyTimeout(Duration)}: 120 s. */
  public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(120);

  private static final Logger log = LoggerFactory.getLogger(ShimmyRuntime.class);

  private final Path modelDir;
  private final List<ModelRef> preload;
  private final Duration readyTimeout;
  private final @Nullable String defaultModel;
  private final ModelRouter router;
  private final OkHttpClient httpClient;
  private final boolean ownsClient;
  private final HuggingFacePuller puller;
  private final ModelDirectory localModels;
  private final ProcessShimmySupervisor supervisor;
  private final PullCoordinator coordinator;
  private final HttpHandler httpHandler;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ShimmyRuntime(Builder b) {
    this.modelDir = b.modelDir.toAbsolutePath().normalize();
    this.preload = b.preload.stream().map(ModelRef::parse).toList();
    this.readyTimeout = b.readyTimeout;
    this.defaultModel = b.defaultModel;
    ModelDirectory directory = new ModelDirectory(modelDir);
    // OpenAI requests may name a model by the name it was pulled by over Ollama's API (hf.co/...).
    this.router =
        ModelRouter.builder()
            .defaultModel(b.defaultModel)
            .alias(new ModelNames(modelDir, directory::list).resolver())
            .build();
    this.ownsClient = b.httpClient == null;
    this.httpClient = b.httpClient != null ? b.httpClient : ShimmyProxy.defaultClient();
    MeterRegistry registry = b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
    String endpoint =
        Objects.requireNonNullElse(firstNonBlank(b.hfEndpoint, b.env.get("HF_ENDPOINT"), null), DEFAULT_HF_ENDPOINT);
    String token = firstNonBlank(b.hfToken, b.env.get("HF_TOKEN"), null);
    List<String> command = b.shimmyCommand;
    HuggingFacePuller.Builder pullerBuilder =
        HuggingFacePuller.builder()
            .modelDir(modelDir)
            .endpoint(endpoint)
            .token(token)
            .client(httpClient)
            .meterRegistry(registry);
    b.pullerCustomizer.accept(pullerBuilder);
    this.puller = pullerBuilder.build();
    this.localModels = directory;
    DiscoveryRunner discovery = b.discovery != null ? b.discovery : new ScanDiscoveryRunner();
    SupervisorMetrics supervisorMetrics = SupervisorMetrics.on(registry);
    this.supervisor =
        ProcessShimmySupervisor.newBuilder(modelDir)
            .command(command)
            .restartMode(b.restartMode)
            .readyTimeout(readyTimeout)
            .discovery(discovery)
            .httpClient(httpClient)
            .maxLoadedModels(b.maxLoadedModels)
            .maxLoadedBytes(b.maxLoadedBytes)
            .maxQueue(b.maxQueue)
            .queueTimeout(b.queueTimeout)
            .keepAlive(b.keepAlive)
            .events(supervisorMetrics)
            .build();
    supervisorMetrics.bindGauges(supervisor);
    this.coordinator =
        PullCoordinator.builder()
            .modelDir(modelDir)
            .puller(puller)
            .localModels(localModels)
            .discovery(discovery)
            .supervisor(supervisor)
            .readyTimeout(readyTimeout)
            .meterRegistry(registry)
            .build();
    ShimmyHttpApi.Builder api =
        ShimmyHttpApi.builder()
            .coordinator(coordinator)
            .supervisor(supervisor)
            .modelDir(modelDir)
            .adminToken(b.adminToken)
            .serviceVersion(b.serviceVersion)
            .maxBodyBytes(b.maxBodyBytes)
            .metrics(b.metricsText);
    if (b.proxyEnabled) {
      api.proxy(
          ShimmyProxy.builder()
              .supervisor(supervisor)
              .router(router)
              .client(httpClient)
              .meterRegistry(registry)
              .build());
    }
    this.httpHandler = api.build();
  }

  /** A new builder; every option has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Creates the model directory, pulls the preload references that are missing, starts Shimmy (or
   * leaves it idle with no model; marks it unavailable when the executable cannot be found) and
   * the reconcile watcher. Idempotent.
   *
   * @throws PullException when a preload reference cannot be made present (after every preload
   *     reference was tried); Shimmy is then not started
   */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      return;
    }
    try {
      Files.createDirectories(modelDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create model directory " + modelDir, e);
    }
    List<PreloadResult> results = coordinator.preload(preload);
    for (PreloadResult result : results) {
      PullException error = result.error();
      if (error != null) {
        throw new PullException(
            error.reason(), "preload of " + result.ref() + " failed: " + error.getMessage(), error);
      }
    }
    coordinator.start();
    log.info(
        "shimmy-pull runtime started: model dir {}, {} preloaded, backend {}",
        modelDir,
        results.size(),
        supervisor.state().status().wireName());
  }

  /** The HTTP API (pull, models, health, metrics) with the reverse proxy as its fallback. */
  public HttpHandler httpHandler() {
    return httpHandler;
  }

  public PullCoordinator coordinator() {
    return coordinator;
  }

  public ShimmySupervisor supervisor() {
    return supervisor;
  }

  public ModelPuller puller() {
    return puller;
  }

  public LocalModels localModels() {
    return localModels;
  }

  /** The absolute model directory. */
  public Path modelDir() {
    return modelDir;
  }

  /**
   * The model that answers requests naming none ({@code --default-model}), or null: then the
   * only model answers them, and with several models they get 400.
   */
  public @Nullable String defaultModel() {
    return defaultModel;
  }

  /** How requests are routed by their model (with the default model); share it with a ShimmyEdge. */
  public ModelRouter router() {
    return router;
  }

  /** The one HTTP client every part shares. */
  public OkHttpClient httpClient() {
    return httpClient;
  }

  /** Stops the watcher, cancels a running pull and stops Shimmy. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      coordinator.close();
    } finally {
      supervisor.stop();
      if (ownsClient) {
        httpClient.dispatcher().executorService().shutdown();
        httpClient.connectionPool().evictAll();
      }
    }
  }

  private static @Nullable String firstNonBlank(@Nullable String a, @Nullable String b, @Nullable String c) {
    if (a != null && !a.isBlank()) {
      return a;
    }
    if (b != null && !b.isBlank()) {
      return b;
    }
    return c;
  }

  /** Options of a {@link ShimmyRuntime}; every one has a default. */
  public static final class Builder {
    private Path modelDir = Path.of("models");
    private List<String> shimmyCommand = List.of("shimmy");
    private @Nullable String hfEndpoint;
    private @Nullable String hfToken;
    private @Nullable String adminToken;
    private RestartMode restartMode = RestartMode.BLUE_GREEN;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
    private List<String> preload = List.of();
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable Supplier<String> metricsText;
    private String serviceVersion = "unknown";
    private @Nullable String defaultModel;
    private boolean proxyEnabled = true;
    private long maxBodyBytes = ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES;
    private @Nullable OkHttpClient httpClient;
    private Map<String, String> env = System.getenv();
    private Consumer<HuggingFacePuller.Builder> pullerCustomizer = puller -> {};
    private @Nullable DiscoveryRunner discovery;
    private int maxLoadedModels = 1;
    private long maxLoadedBytes = 0;
    private int maxQueue = 64;
    private Duration queueTimeout = Duration.ofSeconds(60);
    private Duration keepAlive = Duration.ofSeconds(-1);

    private Builder() {}

    /** How many models (one Shimmy instance each) may run at once. Default 1. */
    public Builder maxLoadedModels(int maxLoadedModels) {
      if (maxLoadedModels < 1) {
        throw new IllegalArgumentException("maxLoadedModels must be at least 1, not " + maxLoadedModels);
      }
      this.maxLoadedModels = maxLoadedModels;
      return this;
    }

    /** The most bytes of model files loaded at once (0 or negative: no limit). Default no limit. */
    public Builder maxLoadedBytes(long maxLoadedBytes) {
      this.maxLoadedBytes = Math.max(0, maxLoadedBytes);
      return this;
    }

    /** How many requests may wait for room at once; more get 503. Default 64. */
    public Builder maxQueue(int maxQueue) {
      if (maxQueue < 0) {
        throw new IllegalArgumentException("maxQueue must not be negative, not " + maxQueue);
      }
      this.maxQueue = maxQueue;
      return this;
    }

    /** The longest a request waits in the queue for room before a 503. Default 60 s. */
    public Builder queueTimeout(Duration queueTimeout) {
      if (queueTimeout.isNegative()) {
        throw new IllegalArgumentException("queueTimeout must not be negative: " + queueTimeout);
      }
      this.queueTimeout = queueTimeout;
      return this;
    }

    /** How long an idle instance keeps running: negative = forever, 0 = stop when idle. Default forever. */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = Objects.requireNonNull(keepAlive, "keepAlive");
      return this;
    }

    /** The model directory Shimmy scans; created by {@link #start()}. Default {@code ./models}. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = Objects.requireNonNull(modelDir, "modelDir");
      return this;
    }

    /** How to run Shimmy: the executable and leading arguments. Default {@code [shimmy]}. */
    public Builder shimmyCommand(List<String> command) {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("the Shimmy command must not be empty");
      }
      this.shimmyCommand = List.copyOf(command);
      return this;
    }

    /** How to run Shimmy, split like a POSIX shell would ({@link ShimmyCommand#parse}). */
    public Builder shimmyCommand(String command) {
      return shimmyCommand(ShimmyCommand.parse(command));
    }

    /** Hugging Face endpoint or mirror. Default {@code $HF_ENDPOINT}, else {@value #DEFAULT_HF_ENDPOINT}. */
    public Builder hfEndpoint(@Nullable String hfEndpoint) {
      this.hfEndpoint = hfEndpoint;
      return this;
    }

    /** Bearer token for gated or private repos. Default {@code $HF_TOKEN}, else none. */
    public Builder hfToken(@Nullable String hfToken) {
      this.hfToken = hfToken;
      return this;
    }

    /** When set, mutating endpoints need {@code Authorization: Bearer TOKEN}. Default none. */
    public Builder adminToken(@Nullable String adminToken) {
      this.adminToken = adminToken == null || adminToken.isBlank() ? null : adminToken;
      return this;
    }

    /** How Shimmy is restarted for a new model set. Default blue-green. */
    public Builder restartMode(RestartMode restartMode) {
      this.restartMode = Objects.requireNonNull(restartMode, "restartMode");
      return this;
    }

    /** How long to wait for Shimmy to serve after a (re)start. Default 120 s. */
    public Builder readyTimeout(Duration readyTimeout) {
      if (readyTimeout.isNegative() || readyTimeout.isZero()) {
        throw new IllegalArgumentException("readyTimeout must be positive: " + readyTimeout);
      }
      this.readyTimeout = readyTimeout;
      return this;
    }

    /** References pulled by {@link #start()} before Shimmy starts. Default none. */
    public Builder preload(List<String> refs) {
      refs.forEach(ModelRef::parse);
      this.preload = List.copyOf(refs);
      return this;
    }

    /** Where the parts register their meters. Default a private {@link SimpleMeterRegistry}. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /** The Prometheus text {@code GET /v1/api/metrics} answers, e.g. {@code registry::scrape}. Default none (404). */
    public Builder metricsText(Supplier<String> metricsText) {
      this.metricsText = Objects.requireNonNull(metricsText, "metricsText");
      return this;
    }

    /** The version {@code GET /} reports. Default {@code unknown}. */
    public Builder serviceVersion(String serviceVersion) {
      this.serviceVersion = Objects.requireNonNull(serviceVersion, "serviceVersion");
      return this;
    }

    /**
     * The model id for requests that name no model. Default none: the only model answers them,
     * and with several models they get 400 {@code model_required}.
     */
    public Builder defaultModel(@Nullable String defaultModel) {
      this.defaultModel = defaultModel == null || defaultModel.isBlank() ? null : defaultModel.strip();
      return this;
    }

    /** Whether paths the API does not know are proxied to Shimmy. Default true. */
    public Builder proxyEnabled(boolean proxyEnabled) {
      this.proxyEnabled = proxyEnabled;
      return this;
    }

    /**
     * The largest request body on any route, the proxied ones included (413 {@code
     * payload_too_large} above it; see {@link ShimmyHttpApi.Builder#maxBodyBytes}). Default 32 MiB.
     */
    public Builder maxBodyBytes(long maxBodyBytes) {
      if (maxBodyBytes <= 0) {
        throw new IllegalArgumentException("maxBodyBytes must be positive, not " + maxBodyBytes);
      }
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /** The one client for the Hub, readiness probes and the proxy. Default {@link ShimmyProxy#defaultClient()}. */
    public Builder httpClient(OkHttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** Where {@code HF_ENDPOINT} and {@code HF_TOKEN} defaults are read. Default {@link System#getenv()}. */
    public Builder environment(Map<String, String> env) {
      this.env = Map.copyOf(env);
      return this;
    }

    /**
     * How the ids Shimmy will serve are predicted; default {@link ScanDiscoveryRunner} (Shimmy's
     * naming rules applied in-process, no child process). {@link CliDiscoveryRunner} asks the
     * Shimmy executable itself ({@code list --short}).
     */
    public Builder discovery(DiscoveryRunner discovery) {
      this.discovery = Objects.requireNonNull(discovery, "discovery");
      return this;
    }

    /**
     * Tunes the puller beyond these options (parts, retries, stall timeout, size cap) after the
     * runtime has set the model directory, endpoint, token, client and registry. Default none.
     */
    public Builder pullerCustomizer(Consumer<HuggingFacePuller.Builder> customizer) {
      this.pullerCustomizer = Objects.requireNonNull(customizer, "customizer");
      return this;
    }

    public ShimmyRuntime build() {
      return new ShimmyRuntime(this);
    }
  }
}
