package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.supervisor.RestartMode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The one set of shimmy-pull options, with every default defined here (or, where a core builder
 * owns it, referenced from there). The server jar's command line, the Javalin plugin's config and
 * the Spring starter's {@code shimmy.*} properties all convert into it, and {@link ShimmyRuntime}
 * and {@link ShimmyComponents} build from it, so a new option lands in every adapter at once.
 *
 * <pre>{@code
 * ShimmyOptions options = ShimmyOptions.newBuilder().modelDir(Path.of("/models")).build();
 * ShimmyOptions more = options.toBuilder().maxLoadedModels(2).build();
 * }</pre>
 */
public final class ShimmyOptions {

  /** Default {@link Builder#modelDir}: {@code ./models}. */
  public static final Path DEFAULT_MODEL_DIR = Path.of("./models");

  /** Default {@link Builder#shimmyCommand}: {@code shimmy} on the PATH. */
  public static final List<String> DEFAULT_SHIMMY_COMMAND = List.of("shimmy");

  /** Default {@link Builder#restartMode}: blue-green. */
  public static final RestartMode DEFAULT_RESTART_MODE = RestartMode.BLUE_GREEN;

  /** Default {@link Builder#readyTimeout}: the coordinator's, 120 s. */
  public static final Duration DEFAULT_READY_TIMEOUT = PullCoordinator.DEFAULT_READY_TIMEOUT;

  /** Default {@link Builder#maxLoadedModels}: 1 (one GPU holds one model). */
  public static final int DEFAULT_MAX_LOADED_MODELS = 1;

  /** Default {@link Builder#maxQueue}: 64 waiting requests. */
  public static final int DEFAULT_MAX_QUEUE = 64;

  /** Default {@link Builder#queueTimeout}: 60 s. */
  public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(60);

  /** The keep-alive meaning never: {@code -1 s}, the default of {@link Builder#keepAlive}. */
  public static final Duration KEEP_ALIVE_NEVER = Duration.ofSeconds(-1);

  /** Default {@link Builder#maxBodyBytes}: the HTTP API's, 32 MiB. */
  public static final long DEFAULT_MAX_BODY_BYTES = ShimmyHttpApi.DEFAULT_MAX_BODY_BYTES;

  /** Default {@link Builder#diskReserveBytes}: the puller's, 1 GiB. */
  public static final long DEFAULT_DISK_RESERVE_BYTES =
      HuggingFacePuller.DEFAULT_DISK_RESERVE_BYTES;

  private static final ShimmyOptions DEFAULTS = new Builder().build();

  private final Path modelDir;
  private final List<String> shimmyCommand;
  private final @Nullable URI shimmyUrl;
  private final @Nullable String hfEndpoint;
  private final @Nullable String hfToken;
  private final @Nullable String adminToken;
  private final RestartMode restartMode;
  private final Duration readyTimeout;
  private final List<String> pull;
  private final int maxLoadedModels;
  private final long maxLoadedBytes;
  private final int maxQueue;
  private final Duration queueTimeout;
  private final Duration keepAlive;
  private final @Nullable String defaultModel;
  private final boolean proxyEnabled;
  private final long maxBodyBytes;
  private final long diskReserveBytes;
  private final @Nullable Duration bodyReadTimeout;
  private final String basePath;

  private ShimmyOptions(Builder b) {
    this.modelDir = b.modelDir;
    this.shimmyCommand = b.shimmyCommand;
    this.shimmyUrl = b.shimmyUrl;
    this.hfEndpoint = b.hfEndpoint;
    this.hfToken = b.hfToken;
    this.adminToken = b.adminToken;
    this.restartMode = b.restartMode;
    this.readyTimeout = b.readyTimeout;
    this.pull = b.pull;
    this.maxLoadedModels = b.maxLoadedModels;
    this.maxLoadedBytes = b.maxLoadedBytes;
    this.maxQueue = b.maxQueue;
    this.queueTimeout = b.queueTimeout;
    this.keepAlive = b.keepAlive;
    this.defaultModel = b.defaultModel;
    this.proxyEnabled = b.proxyEnabled;
    this.maxBodyBytes = b.maxBodyBytes;
    this.diskReserveBytes = b.diskReserveBytes;
    this.bodyReadTimeout = b.bodyReadTimeout;
    this.basePath = b.basePath;
  }

  /** Every option at its default. */
  public static ShimmyOptions defaults() {
    return DEFAULTS;
  }

  /** A builder with every default. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** A builder holding these options, to change some of them. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The model directory Shimmy scans (as given; adapters make it absolute). */
  public Path modelDir() {
    return modelDir;
  }

  /** How to run Shimmy: the executable and leading arguments. */
  public List<String> shimmyCommand() {
    return shimmyCommand;
  }

  /** The URL of an already-running Shimmy to front instead of running one, or null. */
  public @Nullable URI shimmyUrl() {
    return shimmyUrl;
  }

  /** The Hugging Face endpoint, or null for {@code $HF_ENDPOINT}, else the public Hub. */
  public @Nullable String hfEndpoint() {
    return hfEndpoint;
  }

  /** The Hugging Face token, or null for {@code $HF_TOKEN}, else none. */
  public @Nullable String hfToken() {
    return hfToken;
  }

  /** The bearer token mutating endpoints need, or null (no check). */
  public @Nullable String adminToken() {
    return adminToken;
  }

  public RestartMode restartMode() {
    return restartMode;
  }

  public Duration readyTimeout() {
    return readyTimeout;
  }

  /** References made present before Shimmy starts (declarative preload). */
  public List<String> pull() {
    return pull;
  }

  public int maxLoadedModels() {
    return maxLoadedModels;
  }

  /** Most bytes of model files running at once; 0 means no limit. */
  public long maxLoadedBytes() {
    return maxLoadedBytes;
  }

  public int maxQueue() {
    return maxQueue;
  }

  public Duration queueTimeout() {
    return queueTimeout;
  }

  /** Negative: never; zero: as soon as idle. */
  public Duration keepAlive() {
    return keepAlive;
  }

  public @Nullable String defaultModel() {
    return defaultModel;
  }

  public boolean proxyEnabled() {
    return proxyEnabled;
  }

  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  public long diskReserveBytes() {
    return diskReserveBytes;
  }

  /** The edge's request-body read timeout, or null for the edge's own default (30 s). */
  public @Nullable Duration bodyReadTimeout() {
    return bodyReadTimeout;
  }

  /** The mount prefix, normalised: {@code ""} or {@code /prefix} without a trailing slash. */
  public String basePath() {
    return basePath;
  }

  /** {@code ""}, {@code "/"} → {@code ""}; {@code "shimmy/"} → {@code "/shimmy"}. */
  public static String normaliseBasePath(String basePath) {
    String trimmed = basePath.trim();
    while (trimmed.endsWith("/")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    if (trimmed.isEmpty()) {
      return "";
    }
    return trimmed.startsWith("/") ? trimmed : "/" + trimmed;
  }

  @Override
  public String toString() {
    return "ShimmyOptions{modelDir="
        + modelDir
        + ", shimmyCommand="
        + shimmyCommand
        + ", shimmyUrl="
        + shimmyUrl
        + ", hfEndpoint="
        + hfEndpoint
        + ", hfToken="
        + (hfToken == null ? null : "***")
        + ", adminToken="
        + (adminToken == null ? null : "***")
        + ", restartMode="
        + restartMode
        + ", readyTimeout="
        + readyTimeout
        + ", pull="
        + pull
        + ", maxLoadedModels="
        + maxLoadedModels
        + ", maxLoadedBytes="
        + maxLoadedBytes
        + ", maxQueue="
        + maxQueue
        + ", queueTimeout="
        + queueTimeout
        + ", keepAlive="
        + keepAlive
        + ", defaultModel="
        + defaultModel
        + ", proxyEnabled="
        + proxyEnabled
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", diskReserveBytes="
        + diskReserveBytes
        + ", bodyReadTimeout="
        + bodyReadTimeout
        + ", basePath="
        + basePath
        + "}";
  }

  /** Builds {@link ShimmyOptions}; every setter validates at once and names the option. */
  public static final class Builder {
    private Path modelDir = DEFAULT_MODEL_DIR;
    private List<String> shimmyCommand = DEFAULT_SHIMMY_COMMAND;
    private @Nullable URI shimmyUrl;
    private @Nullable String hfEndpoint;
    private @Nullable String hfToken;
    private @Nullable String adminToken;
    private RestartMode restartMode = DEFAULT_RESTART_MODE;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
    private List<String> pull = List.of();
    private int maxLoadedModels = DEFAULT_MAX_LOADED_MODELS;
    private long maxLoadedBytes = 0;
    private int maxQueue = DEFAULT_MAX_QUEUE;
    private Duration queueTimeout = DEFAULT_QUEUE_TIMEOUT;
    private Duration keepAlive = KEEP_ALIVE_NEVER;
    private @Nullable String defaultModel;
    private boolean proxyEnabled = true;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private long diskReserveBytes = DEFAULT_DISK_RESERVE_BYTES;
    private @Nullable Duration bodyReadTimeout;
    private String basePath = "";

    private Builder() {}

    private Builder(ShimmyOptions o) {
      this.modelDir = o.modelDir;
      this.shimmyCommand = o.shimmyCommand;
      this.shimmyUrl = o.shimmyUrl;
      this.hfEndpoint = o.hfEndpoint;
      this.hfToken = o.hfToken;
      this.adminToken = o.adminToken;
      this.restartMode = o.restartMode;
      this.readyTimeout = o.readyTimeout;
      this.pull = o.pull;
      this.maxLoadedModels = o.maxLoadedModels;
      this.maxLoadedBytes = o.maxLoadedBytes;
      this.maxQueue = o.maxQueue;
      this.queueTimeout = o.queueTimeout;
      this.keepAlive = o.keepAlive;
      this.defaultModel = o.defaultModel;
      this.proxyEnabled = o.proxyEnabled;
      this.maxBodyBytes = o.maxBodyBytes;
      this.diskReserveBytes = o.diskReserveBytes;
      this.bodyReadTimeout = o.bodyReadTimeout;
      this.basePath = o.basePath;
    }

    /** The model directory Shimmy scans; created if missing. Default {@code ./models}. */
    public Builder modelDir(Path modelDir) {
      this.modelDir = Objects.requireNonNull(modelDir, "modelDir");
      return this;
    }

    /** How to run Shimmy: the executable and leading arguments. Default {@code [shimmy]}. */
    public Builder shimmyCommand(List<String> command) {
      this.shimmyCommand = Require.command(command);
      return this;
    }

    /** How to run Shimmy, split like a POSIX shell would ({@link ShimmyCommand#parse}). */
    public Builder shimmyCommand(String command) {
      return shimmyCommand(ShimmyCommand.parse(command));
    }

    /**
     * Fronts an already-running Shimmy at this URL ({@link ExternalShimmySupervisor}) instead of
     * running one; it cannot be restarted, so the directory watcher is off. Default null (run one).
     */
    public Builder shimmyUrl(@Nullable URI shimmyUrl) {
      if (shimmyUrl != null
          && !("http".equals(shimmyUrl.getScheme()) || "https".equals(shimmyUrl.getScheme()))) {
        throw new IllegalArgumentException("shimmyUrl must be an http(s) URL, not " + shimmyUrl);
      }
      this.shimmyUrl = shimmyUrl;
      return this;
    }

    /**
     * Hugging Face endpoint or mirror. Default {@code $HF_ENDPOINT}, else https://huggingface.co.
     */
    public Builder hfEndpoint(@Nullable String hfEndpoint) {
      this.hfEndpoint = blankToNull(hfEndpoint);
      return this;
    }

    /** Bearer token for gated or private repos. Default {@code $HF_TOKEN}, else none. */
    public Builder hfToken(@Nullable String hfToken) {
      this.hfToken = blankToNull(hfToken);
      return this;
    }

    /** When set, mutating endpoints need {@code Authorization: Bearer TOKEN}. Default none. */
    public Builder adminToken(@Nullable String adminToken) {
      this.adminToken = blankToNull(adminToken);
      return this;
    }

    /** How an instance is replaced for a new model set. Default blue-green. */
    public Builder restartMode(RestartMode restartMode) {
      this.restartMode = Objects.requireNonNull(restartMode, "restartMode");
      return this;
    }

    /** How long to wait for Shimmy to serve after a (re)start. Default 120 s. */
    public Builder readyTimeout(Duration readyTimeout) {
      this.readyTimeout = Require.positive(readyTimeout, "readyTimeout");
      return this;
    }

    /**
     * Models made present before Shimmy starts (declarative preload); a reference that cannot be
     * made present fails the start. Default none.
     */
    public Builder pull(List<String> refs) {
      refs.forEach(ModelRef::parse);
      this.pull = List.copyOf(refs);
      return this;
    }

    /** How many Shimmy instances (one per model) may run at once. Default 1. */
    public Builder maxLoadedModels(int maxLoadedModels) {
      this.maxLoadedModels = Require.atLeastOne(maxLoadedModels, "maxLoadedModels");
      return this;
    }

    /** Most bytes of model files running at once (0 or negative: no limit). Default no limit. */
    public Builder maxLoadedBytes(long maxLoadedBytes) {
      this.maxLoadedBytes = Math.max(0, maxLoadedBytes);
      return this;
    }

    /** How many requests may wait for room at once; more get 503. Default 64. */
    public Builder maxQueue(int maxQueue) {
      this.maxQueue = Require.notNegative(maxQueue, "maxQueue");
      return this;
    }

    /** The longest a request waits in the queue for room before a 503. Default 60 s. */
    public Builder queueTimeout(Duration queueTimeout) {
      this.queueTimeout = Require.notNegative(queueTimeout, "queueTimeout");
      return this;
    }

    /**
     * Stop an instance idle this long: negative never (kept as -1 s), 0 when idle. Default never.
     */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = keepAlive.isNegative() ? KEEP_ALIVE_NEVER : keepAlive;
      return this;
    }

    /** The model for requests that name none. Default none: the only model, else 400. */
    public Builder defaultModel(@Nullable String defaultModel) {
      String value = blankToNull(defaultModel);
      this.defaultModel = value == null ? null : value.strip();
      return this;
    }

    /** Whether paths the API does not answer are proxied to Shimmy. Default true. */
    public Builder proxyEnabled(boolean proxyEnabled) {
      this.proxyEnabled = proxyEnabled;
      return this;
    }

    /** The largest request body on any route, proxied ones included (413 above). Default 32 MiB. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = Require.positive(maxBodyBytes, "maxBodyBytes");
      return this;
    }

    /** Free disk space a pull leaves untouched (507 if it would not). Default 1 GiB. */
    public Builder diskReserveBytes(long diskReserveBytes) {
      this.diskReserveBytes = Require.notNegative(diskReserveBytes, "diskReserveBytes");
      return this;
    }

    /**
     * The longest a client may stay silent while its request body is incomplete before 408 and a
     * closed connection; applies where the server jar's Netty edge serves the port. Default null:
     * the edge's own default, 30 s.
     */
    public Builder bodyReadTimeout(@Nullable Duration bodyReadTimeout) {
      this.bodyReadTimeout =
          bodyReadTimeout == null ? null : Require.positive(bodyReadTimeout, "bodyReadTimeout");
      return this;
    }

    /** Mount prefix of the plugin or starter, e.g. {@code /shimmy}; normalised. Default root. */
    public Builder basePath(String basePath) {
      this.basePath = normaliseBasePath(basePath);
      return this;
    }

    public ShimmyOptions build() {
      return new ShimmyOptions(this);
    }

    private static @Nullable String blankToNull(@Nullable String value) {
      return value == null || value.isBlank() ? null : value;
    }
  }
}
