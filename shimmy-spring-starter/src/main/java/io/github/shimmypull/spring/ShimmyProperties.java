package io.github.shimmypull.spring;

import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.supervisor.ShimmyOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code shimmy.*} configuration of the starter: the same settings, names and defaults as
 * {@link ShimmyOptions} (the server jar's {@code serve} options), into which {@link #toOptions()}
 * converts them, plus which parts to switch off.
 */
@ConfigurationProperties("shimmy")
public class ShimmyProperties {

  private static final ShimmyOptions DEFAULTS = ShimmyOptions.defaults();

  /** The model directory Shimmy scans; created if missing. */
  private Path modelDir = DEFAULTS.modelDir();

  /**
   * How to run Shimmy: an executable, optionally with leading arguments, split like a POSIX shell
   * would (quotes and backslash escapes, no variable expansion).
   */
  private String shimmyCommand = String.join(" ", DEFAULTS.shimmyCommand());

  /**
   * Hugging Face endpoint or mirror. When unset, the HF_ENDPOINT environment variable, else
   * https://huggingface.co.
   */
  private @Nullable URI hfEndpoint;

  /**
   * Bearer token for gated or private repositories. When unset, the HF_TOKEN environment variable.
   */
  private @Nullable String hfToken;

  /** When set, mutating endpoints need "Authorization: Bearer <token>". */
  private @Nullable String adminToken;

  /** How Shimmy is restarted to serve a new model set: blue-green (no downtime) or in-place. */
  private RestartMode restartMode = DEFAULTS.restartMode();

  /** How long to wait for Shimmy to serve after a (re)start. */
  private Duration readyTimeout = DEFAULTS.readyTimeout();

  /**
   * Models to ensure present before Shimmy starts (declarative preload), e.g. owner/repo:Q4_K_M; a
   * model that cannot be made present fails the start-up.
   */
  private List<String> pull = new ArrayList<>();

  /**
   * Path prefix the endpoints are mounted under, e.g. "/shimmy"; empty mounts them at the root. The
   * application's own controllers always win over the catch-all proxy; static resources under the
   * prefix do not.
   */
  private String basePath = DEFAULTS.basePath();

  /**
   * Largest request body accepted on any shimmy-pull route, the proxied ones included: a larger
   * declared body, or a chunked one that grows past it, is answered 413 payload_too_large. The pull
   * API's own limit is 64 KiB.
   */
  private DataSize maxBodyBytes = DataSize.ofBytes(DEFAULTS.maxBodyBytes());

  /** Free disk space a pull must leave, e.g. 5GB; 0 for none. A pull that would not gets 507. */
  private DataSize diskReserveBytes = DataSize.ofBytes(DEFAULTS.diskReserveBytes());

  /**
   * How many Shimmy instances (one per model) may run at once; the least-recently-used idle one is
   * stopped to make room. At least 1.
   */
  private int maxLoadedModels = DEFAULTS.maxLoadedModels();

  /** Most bytes of model files running at once, e.g. 8GB; unset means no limit. */
  private @Nullable DataSize maxLoadedBytes;

  /** How many requests may wait for room at once; more get 503 with Retry-After. At least 0. */
  private int maxQueue = DEFAULTS.maxQueue();

  /** Longest wait in the queue for room before a 503. */
  private Duration queueTimeout = DEFAULTS.queueTimeout();

  /** Stop an instance idle this long; -1s (the default) never, 0 as soon as it is idle. */
  private Duration keepAlive = DEFAULTS.keepAlive();

  /**
   * Model for requests that name none; unset means the only model answers them, and with several
   * models they get 400.
   */
  private @Nullable String defaultModel;

  /**
   * URL of an already-running Shimmy to front instead of running one, e.g. http://shimmy:11435; it
   * is not restarted and the model directory is not watched.
   */
  private @Nullable URI shimmyUrl;

  /** The reverse proxy to Shimmy. */
  private final Proxy proxy = new Proxy();

  /** The Shimmy child process. */
  private final Supervisor supervisor = new Supervisor();

  public Path getModelDir() {
    return modelDir;
  }

  public void setModelDir(Path modelDir) {
    this.modelDir = modelDir;
  }

  public String getShimmyCommand() {
    return shimmyCommand;
  }

  public void setShimmyCommand(String shimmyCommand) {
    this.shimmyCommand = shimmyCommand;
  }

  public @Nullable URI getHfEndpoint() {
    return hfEndpoint;
  }

  public void setHfEndpoint(@Nullable URI hfEndpoint) {
    this.hfEndpoint = hfEndpoint;
  }

  public @Nullable String getHfToken() {
    return hfToken;
  }

  public void setHfToken(@Nullable String hfToken) {
    this.hfToken = hfToken;
  }

  public @Nullable String getAdminToken() {
    return adminToken;
  }

  public void setAdminToken(@Nullable String adminToken) {
    this.adminToken = adminToken;
  }

  public RestartMode getRestartMode() {
    return restartMode;
  }

  public void setRestartMode(RestartMode restartMode) {
    this.restartMode = restartMode;
  }

  public Duration getReadyTimeout() {
    return readyTimeout;
  }

  public void setReadyTimeout(Duration readyTimeout) {
    this.readyTimeout = readyTimeout;
  }

  public List<String> getPull() {
    return pull;
  }

  public void setPull(List<String> pull) {
    this.pull = pull;
  }

  public String getBasePath() {
    return basePath;
  }

  public void setBasePath(String basePath) {
    this.basePath = basePath;
  }

  public DataSize getMaxBodyBytes() {
    return maxBodyBytes;
  }

  public void setMaxBodyBytes(DataSize maxBodyBytes) {
    if (maxBodyBytes.toBytes() <= 0) {
      throw new IllegalArgumentException(
          "shimmy.max-body-bytes must be positive, not " + maxBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
  }

  public DataSize getDiskReserveBytes() {
    return diskReserveBytes;
  }

  public void setDiskReserveBytes(DataSize diskReserveBytes) {
    if (diskReserveBytes.isNegative()) {
      throw new IllegalArgumentException(
          "shimmy.disk-reserve-bytes must not be negative, not " + diskReserveBytes);
    }
    this.diskReserveBytes = diskReserveBytes;
  }

  public int getMaxLoadedModels() {
    return maxLoadedModels;
  }

  public void setMaxLoadedModels(int maxLoadedModels) {
    if (maxLoadedModels < 1) {
      throw new IllegalArgumentException(
          "shimmy.max-loaded-models must be at least 1, not " + maxLoadedModels);
    }
    this.maxLoadedModels = maxLoadedModels;
  }

  public @Nullable DataSize getMaxLoadedBytes() {
    return maxLoadedBytes;
  }

  public void setMaxLoadedBytes(@Nullable DataSize maxLoadedBytes) {
    if (maxLoadedBytes != null && maxLoadedBytes.toBytes() <= 0) {
      throw new IllegalArgumentException(
          "shimmy.max-loaded-bytes must be positive, not " + maxLoadedBytes);
    }
    this.maxLoadedBytes = maxLoadedBytes;
  }

  public int getMaxQueue() {
    return maxQueue;
  }

  public void setMaxQueue(int maxQueue) {
    if (maxQueue < 0) {
      throw new IllegalArgumentException("shimmy.max-queue must not be negative, not " + maxQueue);
    }
    this.maxQueue = maxQueue;
  }

  public Duration getQueueTimeout() {
    return queueTimeout;
  }

  public void setQueueTimeout(Duration queueTimeout) {
    if (queueTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "shimmy.queue-timeout must not be negative, not " + queueTimeout);
    }
    this.queueTimeout = queueTimeout;
  }

  public Duration getKeepAlive() {
    return keepAlive;
  }

  /** Any negative value means never and is kept as -1s. */
  public void setKeepAlive(Duration keepAlive) {
    this.keepAlive = keepAlive.isNegative() ? ShimmyOptions.KEEP_ALIVE_NEVER : keepAlive;
  }

  public @Nullable String getDefaultModel() {
    return defaultModel;
  }

  public void setDefaultModel(@Nullable String defaultModel) {
    this.defaultModel =
        defaultModel == null || defaultModel.isBlank() ? null : defaultModel.strip();
  }

  public @Nullable URI getShimmyUrl() {
    return shimmyUrl;
  }

  public void setShimmyUrl(@Nullable URI shimmyUrl) {
    this.shimmyUrl = shimmyUrl;
  }

  /**
   * These properties as the one options type the parts are built from.
   *
   * @throws IllegalStateException when shimmy.supervisor.enabled is false without shimmy.shimmy-url
   */
  public ShimmyOptions toOptions() {
    if (!supervisor.isEnabled() && shimmyUrl == null) {
      throw new IllegalStateException(
          "shimmy.supervisor.enabled=false needs shimmy.shimmy-url, the URL of the Shimmy to"
              + " front, e.g. http://shimmy:11435");
    }
    ShimmyOptions.Builder options =
        ShimmyOptions.newBuilder()
            .modelDir(modelDir)
            .shimmyCommand(shimmyCommand)
            .shimmyUrl(shimmyUrl)
            .hfEndpoint(hfEndpoint == null ? null : hfEndpoint.toString())
            .hfToken(hfToken)
            .adminToken(adminToken)
            .restartMode(restartMode)
            .readyTimeout(readyTimeout)
            .pull(pull)
            .maxLoadedModels(maxLoadedModels)
            .maxQueue(maxQueue)
            .queueTimeout(queueTimeout)
            .keepAlive(keepAlive)
            .defaultModel(defaultModel)
            .basePath(basePath)
            .proxyEnabled(proxy.isEnabled())
            .maxBodyBytes(maxBodyBytes.toBytes())
            .diskReserveBytes(diskReserveBytes.toBytes());
    if (maxLoadedBytes != null) {
      options.maxLoadedBytes(maxLoadedBytes.toBytes());
    }
    return options.build();
  }

  public Proxy getProxy() {
    return proxy;
  }

  public Supervisor getSupervisor() {
    return supervisor;
  }

  /** Settings of the reverse proxy. */
  public static class Proxy {

    /**
     * Whether requests the pull API does not answer are forwarded to Shimmy; when false they get a
     * 503 JSON error with code backend_unavailable.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** Settings of the Shimmy child process. */
  public static class Supervisor {

    /**
     * Whether Shimmy runs as a child process of the application; when false the starter fronts the
     * already-running Shimmy at shimmy.shimmy-url (which setting alone does too) and cannot restart
     * it.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }
}
