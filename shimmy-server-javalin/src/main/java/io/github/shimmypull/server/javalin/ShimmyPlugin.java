package io.github.shimmypull.server.javalin;

import io.github.shimmypull.core.http.ForwardingHttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.ollama.OllamaApi;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.server.javalin.internal.JavalinExchange;
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
import java.io.IOException;
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

  /** The plugin's settings; public fields with defaults, set in the constructor's consumer. */
  public static final class Config {
    /** The model directory Shimmy scans; created if missing. Default {@code ./models}. */
    public Path modelDir = Path.of("models");
    /** How to run Shimmy, split like a POSIX shell would (see server-interface.md). Default {@code shimmy}. */
    public String shimmyCommand = "shimmy";
    /** Hugging Face endpoint; null means {@code $HF_ENDPOINT} or {@code https://huggingface.co}. */
    public @Nullable String hfEndpoint;
    /** Bearer token for gated or private repos; null means {@code $HF_TOKEN}. */
    public @Nullable String hfToken;
    /** When set, mutating endpoints need {@code Authorization: Bearer <adminToken>}. */
    public @Nullable String adminToken;
    /** How Shimmy is restarted to serve a new model set. Default blue-green. */
    public RestartMode restartMode = RestartMode.BLUE_GREEN;
    /** How long to wait for Shimmy to serve after a (re)start. Default 120 s. */
    public Duration readyTimeout = Duration.ofSeconds(120);
    /** References pulled before Shimmy starts (declarative preload). Default none. */
    public List<String> preload = List.of();
    /**
     * How many Shimmy instances (one per model) may run at once; the least-recently-used idle one
     * is stopped to make room. Default 1 (one GPU holds one model).
     */
    public int maxLoadedModels = 1;
    /** Most bytes of model files running at once; 0 (the default) means no limit. */
    public long maxLoadedBytes = 0;
    /** How many requests may wait for room at once; more get 503 with Retry-After. Default 64. */
    public int maxQueue = 64;
    /** Longest wait in the queue for room before a 503. Default 60 s. */
    public Duration queueTimeout = Duration.ofSeconds(60);
    /** Stop an instance idle this long; negative (the default, -1 s) never, zero as soon as idle. */
    public Duration keepAlive = Duration.ofSeconds(-1);
    /**
     * Model for requests that name none. Default null: the only model answers them, and with
     * several models they get 400.
     */
    public @Nullable String defaultModel;
    /** Mount prefix such as {@code /shimmy} ({@code ""}, the default, mounts at the root). */
    public String basePath = "";
    /**
     * Whether requests to other paths under {@link #basePath} are proxied to Shimmy. Default true.
     * The catch-all shadows Javalin's static files under the same prefix: apps with static files
     * mount the plugin under a {@link #basePath}.
     */
    public boolean proxyEnabled = true;
    /**
     * Largest request body let through to the API and the proxy (413 {@code payload_too_large}
     * above it, decided by core's {@code ShimmyHttpApi}). Default 32 MiB. Applies to the runtime
     * the plugin builds; a given {@link #runtime} or {@link #handler} has its own limit.
     */
    public long maxRequestBodyBytes = ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES;
    /**
     * Registry for the meters; null creates a {@link PrometheusMeterRegistry}. {@code GET
     * /v1/api/metrics} scrapes it when it is a Prometheus registry.
     */
    public @Nullable MeterRegistry meterRegistry;
    /** Version reported by {@code GET /}. Default: this library's version. */
    public String serviceVersion = ShimmyServer.version();
    /**
     * A runtime built by the application; the plugin then serves it but neither starts nor closes
     * it. Null (the default) builds one from the fields above, owned by the plugin.
     */
    public @Nullable ShimmyRuntime runtime;
    /** A handler to serve instead of a runtime's (tests, custom wiring); nothing is started. */
    public @Nullable HttpHandler handler;
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
    String base = normaliseBase(config.basePath);
    Handler route = ctx -> serve(ctx, resolved, base);
    String root = base.isEmpty() ? "/" : base;
    state.routes.get(root, route);
    for (String path : List.of("/v1/health", "/v1/api/models", "/v1/api/metrics", "/v1/api/pull",
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
      for (HandlerType type : List.of(HandlerType.GET, HandlerType.HEAD, HandlerType.POST, HandlerType.DELETE)) {
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
        ShimmyRuntime.builder()
            .modelDir(config.modelDir)
            .shimmyCommand(config.shimmyCommand)
            .adminToken(config.adminToken)
            .restartMode(config.restartMode)
            .readyTimeout(config.readyTimeout)
            .preload(config.preload)
            .maxLoadedModels(config.maxLoadedModels)
            .maxLoadedBytes(config.maxLoadedBytes)
            .maxQueue(config.maxQueue)
            .queueTimeout(config.queueTimeout)
            .keepAlive(config.keepAlive)
            .defaultModel(config.defaultModel)
            .meterRegistry(registry)
            .serviceVersion(config.serviceVersion)
            .maxBodyBytes(config.maxRequestBodyBytes)
            .proxyEnabled(config.proxyEnabled);
    if (scrape != null) {
      builder.metricsText(scrape);
    }
    if (config.hfEndpoint != null) {
      builder.hfEndpoint(config.hfEndpoint);
    }
    if (config.hfToken != null) {
      builder.hfToken(config.hfToken);
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
    JavalinExchange.handle(ctx, exchange -> handler.handle(ForwardingHttpExchange.belowPrefix(exchange, base)));
  }

  private static String normaliseBase(String basePath) {
    String base = basePath.trim();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    if (!base.isEmpty() && !base.startsWith("/")) {
      base = "/" + base;
    }
    return base;
  }
}
