package io.github.shimmypull.server.javalin;

import io.github.shimmypull.core.http.ForwardingHttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.ollama.OllamaApi;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.server.javalin.internal.JavalinExchange;
import io.github.shimmypull.supervisor.ShimmyComponents;
import io.github.shimmypull.supervisor.ShimmyOptions;
import io.github.shimmypull.supervisor.ShimmyRuntime;
import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.plugin.Plugin;
import io.javalin.plugin.PluginPriority;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Mounts shimmy-pull into any Javalin 7 app: the pull API ({@code /v1/api/pull}, {@code
 * /v1/api/models}, {@code /v1/health}, ...) and a catch-all reverse proxy to the supervised Shimmy.
 *
 * <pre>{@code
 * Javalin.create(config -> {
 *   config.routes.get("/hello", ctx -> ctx.result("mine"));      // user routes win
 *   config.registerPlugin(new ShimmyPlugin(shimmy -> {
 *     shimmy.modelDir = Path.of("/models");
 *     shimmy.adminToken = System.getenv("ADMIN_TOKEN");
 *   }));
 * }).start(8080);
 * }</pre>
 *
 * <p>The routes are registered in {@link #onStart} with {@link PluginPriority#LATE}, so routes the
 * app registers in its config win over ours and the catch-all proxy comes last. The runtime the
 * plugin builds is started when the server has started and closed (Shimmy stopped) when it has
 * stopped. Responses are streamed uncompressed and flushed as they are written.
 */
public final class ShimmyPlugin extends Plugin<ShimmyPlugin.Config> {

  /**
   * The plugin's settings; public fields set in the constructor's consumer. The fields shared with
   * the server jar and the Spring starter have the names and the defaults of {@link ShimmyOptions}
   * (documented there), which {@link #toOptions()} converts them into.
   */
  public static final class Config {
    private static final ShimmyOptions DEFAULTS = ShimmyOptions.defaults();

    /** The model directory Shimmy scans; created if missing. */
    public Path modelDir = DEFAULTS.modelDir();

    /** How to run Shimmy, split like a POSIX shell would (see server-interface.md). */
    public String shimmyCommand = String.join(" ", DEFAULTS.shimmyCommand());

    /** An already-running Shimmy to front instead of running one; null (the default) runs one. */
    public @Nullable URI shimmyUrl = DEFAULTS.shimmyUrl();

    /** Hugging Face endpoint; null means {@code $HF_ENDPOINT} or {@code https://huggingface.co}. */
    public @Nullable String hfEndpoint = DEFAULTS.hfEndpoint();

    /** Bearer token for gated or private repos; null means {@code $HF_TOKEN}. */
    public @Nullable String hfToken = DEFAULTS.hfToken();

    /** When set, mutating endpoints need {@code Authorization: Bearer <adminToken>}. */
    public @Nullable String adminToken = DEFAULTS.adminToken();

    /** How Shimmy is restarted to serve a new model set. */
    public RestartMode restartMode = DEFAULTS.restartMode();

    /** How long to wait for Shimmy to serve after a (re)start. */
    public Duration readyTimeout = DEFAULTS.readyTimeout();

    /** References pulled before Shimmy starts (declarative preload); a failure fails the start. */
    public List<String> pull = DEFAULTS.pull();

    /** How many Shimmy instances (one per model) may run at once. */
    public int maxLoadedModels = DEFAULTS.maxLoadedModels();

    /** Most bytes of model files running at once; 0 means no limit. */
    public long maxLoadedBytes = DEFAULTS.maxLoadedBytes();

    /** How many requests may wait for room at once; more get 503 with Retry-After. */
    public int maxQueue = DEFAULTS.maxQueue();

    /** Longest wait in the queue for room before a 503. */
    public Duration queueTimeout = DEFAULTS.queueTimeout();

    /** Stop an instance idle this long; negative never, zero as soon as idle. */
    public Duration keepAlive = DEFAULTS.keepAlive();

    /**
     * Model for requests that name none; null: the only model answers them, and with several models
     * they get 400.
     */
    public @Nullable String defaultModel = DEFAULTS.defaultModel();

    /** Mount prefix such as {@code /shimmy} ({@code ""}, the default, mounts at the root). */
    public String basePath = DEFAULTS.basePath();

    /**
     * Whether requests to other paths under {@link #basePath} are proxied to Shimmy. The catch-all
     * shadows Javalin's static files under the same prefix: apps with static files mount the plugin
     * under a {@link #basePath}.
     */
    public boolean proxyEnabled = DEFAULTS.proxyEnabled();

    /**
     * Largest request body let through to the API and the proxy (413 {@code payload_too_large}
     * above it). Applies to the runtime the plugin builds; a given {@link #runtime} or {@link
     * #handler} has its own limit.
     */
    public long maxBodyBytes = DEFAULTS.maxBodyBytes();

    /** Free disk space a pull must leave (507 when it would not). */
    public long diskReserveBytes = DEFAULTS.diskReserveBytes();

    /**
     * Registry for the meters; null creates a {@link PrometheusMeterRegistry}. {@code GET
     * /v1/api/metrics} scrapes it when it is a Prometheus registry.
     */
    public @Nullable MeterRegistry meterRegistry;

    /** Version reported by {@code GET /}. Default: this library's version. */
    public String serviceVersion = ShimmyComponents.version();

    /**
     * A runtime built by the application; the plugin then serves it but neither starts nor closes
     * it. Null (the default) builds one from the fields above, owned by the plugin.
     */
    public @Nullable ShimmyRuntime runtime;

    /** A handler to serve instead of a runtime's (tests, custom wiring); nothing is started. */
    public @Nullable HttpHandler handler;

    /** The fields shared with the server jar and the starter, as {@link ShimmyOptions}. */
    public ShimmyOptions toOptions() {
      return ShimmyOptions.newBuilder()
          .modelDir(modelDir)
          .shimmyCommand(shimmyCommand)
          .shimmyUrl(shimmyUrl)
          .hfEndpoint(hfEndpoint)
          .hfToken(hfToken)
          .adminToken(adminToken)
          .restartMode(restartMode)
          .readyTimeout(readyTimeout)
          .pull(pull)
          .maxLoadedModels(maxLoadedModels)
          .maxLoadedBytes(maxLoadedBytes)
          .maxQueue(maxQueue)
          .queueTimeout(queueTimeout)
          .keepAlive(keepAlive)
          .defaultModel(defaultModel)
          .basePath(basePath)
          .proxyEnabled(proxyEnabled)
          .maxBodyBytes(maxBodyBytes)
          .diskReserveBytes(diskReserveBytes)
          .build();
    }
  }

  private @Nullable ShimmyRuntime ownedRuntime;

  /** A plugin with the defaults changed by {@code userConfig}. */
  public ShimmyPlugin(Consumer<Config> userConfig) {
    super(userConfig, new Config());
  }

  /** A plugin with every default. */
  public ShimmyPlugin() {
    this(config -> {});
  }

  @Override
  public PluginPriority priority() {
    return PluginPriority.LATE;
  }

  @Override
  public String name() {
    return "shimmy-pull";
  }

  @Override
  public void onInitialize(JavalinState state) {
    state.events.serverStarted(this::startOwnedRuntime);
    state.events.serverStartFailed(this::closeOwnedRuntime);
    state.events.serverStopped(this::closeOwnedRuntime);
  }

  @Override
  public void onStart(JavalinState state) {
    Config config = pluginConfig;
    HttpHandler resolved = resolveHandler(config);
    String base = ShimmyOptions.normaliseBasePath(config.basePath);
    Handler route = ctx -> serve(ctx, resolved, base);
    String root = base.isEmpty() ? "/" : base;
    state.routes.get(root, route);
    for (String path :
        List.of(
            "/v1/health",
            "/v1/api/models",
            "/v1/api/metrics",
            "/v1/api/pull",
            "/v1/api/instances")) {
      state.routes.get(base + path, route);
    }
    state.routes.post(base + "/v1/api/instances/<id>", route);
    state.routes.delete(base + "/v1/api/instances/<id>", route);
    state.routes.post(base + "/v1/api/pull", route);
    state.routes.delete(base + "/v1/api/pull", route);
    state.routes.delete(base + "/v1/api/models/<id>", route);
    state.routes.post(base + "/v1/generate", route);
    for (String path : OllamaApi.PATHS) {
      for (HandlerType type :
          List.of(HandlerType.GET, HandlerType.HEAD, HandlerType.POST, HandlerType.DELETE)) {
        state.routes.addHttpHandler(type, base + path, route);
      }
    }
    if (config.proxyEnabled) {
      for (HandlerType type : HandlerType.commonHttp()) {
        state.routes.addHttpHandler(type, base + "/*", route);
      }
    }
  }

  /** The runtime the plugin serves (built or given), or null when it serves a plain handler. */
  public @Nullable ShimmyRuntime runtime() {
    return pluginConfig.runtime != null ? pluginConfig.runtime : ownedRuntime;
  }

  private HttpHandler resolveHandler(Config config) {
    if (config.handler != null) {
      return config.handler;
    }
    if (config.runtime != null) {
      return config.runtime.httpHandler();
    }
    MeterRegistry registry =
        config.meterRegistry != null
            ? config.meterRegistry
            : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    @Nullable Supplier<String> scrape =
        registry instanceof PrometheusMeterRegistry prometheus ? prometheus::scrape : null;
    ShimmyRuntime.Builder builder =
        ShimmyRuntime.builder(config.toOptions())
            .meterRegistry(registry)
            .serviceVersion(config.serviceVersion);
    if (scrape != null) {
      builder.metricsText(scrape);
    }
    ShimmyRuntime built = builder.build();
    this.ownedRuntime = built;
    return built.httpHandler();
  }

  private void startOwnedRuntime() {
    ShimmyRuntime runtime = ownedRuntime;
    if (runtime != null) {
      runtime.start();
    }
  }

  private void closeOwnedRuntime() {
    ShimmyRuntime runtime = ownedRuntime;
    if (runtime != null) {
      runtime.close();
    }
  }

  private static void serve(Context ctx, HttpHandler handler, String base) {
    ctx.disableCompression();
    // JavalinExchange.handle aborts the connection on an IOException mid-stream, so a stream that
    // broke off (Shimmy died, an Ollama generation failed) never looks complete to the client.
    JavalinExchange.handle(
        ctx, exchange -> handler.handle(ForwardingHttpExchange.belowPrefix(exchange, base)));
  }
}
