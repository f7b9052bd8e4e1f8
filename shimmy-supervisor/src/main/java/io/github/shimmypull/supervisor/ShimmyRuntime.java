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
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
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

  /**
   * Default {@link Builder#readyTimeout(Duration)}: {@link ShimmyOptions#DEFAULT_READY_TIMEOUT}.
   */
  public static final Duration DEFAULT_READY_TIMEOUT = ShimmyOptions.DEFAULT_READY_TIMEOUT;

  private static final Logger log = LoggerFactory.getLogger(ShimmyRuntime.class);

  private final ShimmyOptions options;
  private final Path modelDir;
  private final ModelRouter router;
  private final OkHttpClient httpClient;
  private final boolean ownsClient;
  private final HuggingFacePuller puller;
  private final ModelDirectory localModels;
  private final ShimmySupervisor supervisor;
  private final PullCoordinator coordinator;
  private final HttpHandler httpHandler;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ShimmyRuntime(Builder b) {
    this.options = b.options.build();
    this.modelDir = ShimmyComponents.modelDir(options);
    this.ownsClient = b.httpClient == null;
    this.httpClient = b.httpClient != null ? b.httpClient : ShimmyProxy.defaultClient();
    MeterRegistry registry = b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
    HuggingFacePuller.Builder pullerBuilder =
        ShimmyComponents.puller(options, b.env, httpClient, registry);
    b.pullerCustomizer.accept(pullerBuilder);
    this.puller = pullerBuilder.build();
    this.localModels = ShimmyComponents.localModels(options);
    // OpenAI requests may name a model by the name it was pulled by over Ollama's API (hf.co/...).
    this.router = ShimmyComponents.router(options, localModels);
    DiscoveryRunner discovery = b.discovery != null ? b.discovery : new ScanDiscoveryRunner();
    this.supervisor = ShimmyComponents.supervisor(options, discovery, httpClient, registry);
    this.coordinator =
        ShimmyComponents.coordinator(options, puller, localModels, discovery, supervisor, registry)
            .build();
    ShimmyProxy proxy =
        options.proxyEnabled()
            ? ShimmyComponents.proxy(supervisor, router, httpClient, registry).build()
            : null;
    ShimmyHttpApi.Builder api = ShimmyComponents.httpApi(options, coordinator, proxy);
    if (b.serviceVersion != null) {
      api.serviceVersion(b.serviceVersion);
    }
    if (b.metricsText != null) {
      api.metrics(b.metricsText);
    }
    this.httpHandler = api.build();
  }

  /** A new builder; every option has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /** A new builder starting from {@code options}. */
  public static Builder builder(ShimmyOptions options) {
    return new Builder().options(options);
  }

  /** The options this runtime was built from. */
  public ShimmyOptions options() {
    return options;
  }

  /**
   * Creates the model directory, pulls the preload references that are missing, starts Shimmy (or
   * leaves it idle with no model; marks it unavailable when the executable cannot be found) and the
   * reconcile watcher. Idempotent.
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
    List<PreloadResult> results = ShimmyComponents.preload(coordinator, options.pull());
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
   * The model that answers requests naming none ({@code --default-model}), or null: then the only
   * model answers them, and with several models they get 400.
   */
  public @Nullable String defaultModel() {
    return options.defaultModel();
  }

  /**
   * How requests are routed by their model (with the default model); share it with a ShimmyEdge.
   */
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

  /**
   * Options of a {@link ShimmyRuntime}: the {@link ShimmyOptions} (every default is there; the
   * setters below change one of them) and the collaborators a runtime is built with.
   */
  public static final class Builder {
    private ShimmyOptions.Builder options = ShimmyOptions.newBuilder();
    private @Nullable MeterRegistry meterRegistry;
    private @Nullable Supplier<String> metricsText;
    private @Nullable String serviceVersion;
    private @Nullable OkHttpClient httpClient;
    private Map<String, String> env = System.getenv();
    private Consumer<HuggingFacePuller.Builder> pullerCustomizer = puller -> {};
    private @Nullable DiscoveryRunner discovery;

    private Builder() {}

    /** Replaces every option with {@code options}. */
    public Builder options(ShimmyOptions options) {
      this.options = options.toBuilder();
      return this;
    }

    /** See {@link ShimmyOptions.Builder#maxLoadedModels}. */
    public Builder maxLoadedModels(int maxLoadedModels) {
      options.maxLoadedModels(maxLoadedModels);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#maxLoadedBytes}. */
    public Builder maxLoadedBytes(long maxLoadedBytes) {
      options.maxLoadedBytes(maxLoadedBytes);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#maxQueue}. */
    public Builder maxQueue(int maxQueue) {
      options.maxQueue(maxQueue);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#queueTimeout}. */
    public Builder queueTimeout(Duration queueTimeout) {
      options.queueTimeout(queueTimeout);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#keepAlive}. */
    public Builder keepAlive(Duration keepAlive) {
      options.keepAlive(Objects.requireNonNull(keepAlive, "keepAlive"));
      return this;
    }

    /**
     * The model directory Shimmy scans; created by {@link #start()}. See {@link
     * ShimmyOptions.Builder#modelDir}.
     */
    public Builder modelDir(Path modelDir) {
      options.modelDir(modelDir);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#shimmyCommand(List)}. */
    public Builder shimmyCommand(List<String> command) {
      options.shimmyCommand(command);
      return this;
    }

    /** How to run Shimmy, split like a POSIX shell would ({@link ShimmyCommand#parse}). */
    public Builder shimmyCommand(String command) {
      options.shimmyCommand(command);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#shimmyUrl}. */
    public Builder shimmyUrl(@Nullable URI shimmyUrl) {
      options.shimmyUrl(shimmyUrl);
      return this;
    }

    /**
     * Hugging Face endpoint or mirror. Default {@code $HF_ENDPOINT}, else {@value
     * #DEFAULT_HF_ENDPOINT}.
     */
    public Builder hfEndpoint(@Nullable String hfEndpoint) {
      options.hfEndpoint(hfEndpoint);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#hfToken}. */
    public Builder hfToken(@Nullable String hfToken) {
      options.hfToken(hfToken);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#adminToken}. */
    public Builder adminToken(@Nullable String adminToken) {
      options.adminToken(adminToken);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#restartMode}. */
    public Builder restartMode(RestartMode restartMode) {
      options.restartMode(restartMode);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#readyTimeout}. */
    public Builder readyTimeout(Duration readyTimeout) {
      options.readyTimeout(readyTimeout);
      return this;
    }

    /**
     * References pulled by {@link #start()} before Shimmy starts. See {@link
     * ShimmyOptions.Builder#pull}.
     */
    public Builder pull(List<String> refs) {
      options.pull(refs);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#diskReserveBytes}. */
    public Builder diskReserveBytes(long diskReserveBytes) {
      options.diskReserveBytes(diskReserveBytes);
      return this;
    }

    /** Where the parts register their meters. Default a private {@link SimpleMeterRegistry}. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
      return this;
    }

    /**
     * The Prometheus text {@code GET /v1/api/metrics} answers, e.g. {@code registry::scrape}.
     * Default none (404).
     */
    public Builder metricsText(Supplier<String> metricsText) {
      this.metricsText = Objects.requireNonNull(metricsText, "metricsText");
      return this;
    }

    /** The version {@code GET /} reports. Default {@link ShimmyComponents#version()}. */
    public Builder serviceVersion(String serviceVersion) {
      this.serviceVersion = Objects.requireNonNull(serviceVersion, "serviceVersion");
      return this;
    }

    /** See {@link ShimmyOptions.Builder#defaultModel}. */
    public Builder defaultModel(@Nullable String defaultModel) {
      options.defaultModel(defaultModel);
      return this;
    }

    /** See {@link ShimmyOptions.Builder#proxyEnabled}. */
    public Builder proxyEnabled(boolean proxyEnabled) {
      options.proxyEnabled(proxyEnabled);
      return this;
    }

    /**
     * The largest request body on any route, the proxied ones included (413 {@code
     * payload_too_large} above it; see {@link ShimmyHttpApi.Builder#maxBodyBytes}). Default 32 MiB.
     */
    public Builder maxBodyBytes(long maxBodyBytes) {
      options.maxBodyBytes(maxBodyBytes);
      return this;
    }

    /**
     * The one client for the Hub, readiness probes and the proxy. Default {@link
     * ShimmyProxy#defaultClient()}.
     */
    public Builder httpClient(OkHttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * Where {@code HF_ENDPOINT} and {@code HF_TOKEN} defaults are read. Default {@link
     * System#getenv()}.
     */
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
