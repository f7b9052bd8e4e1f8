package io.github.shimmypull.spring;

import io.github.shimmypull.core.supervisor.RestartMode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code shimmy.*} configuration of the starter: the same settings as the server jar's
 * {@code serve} options, plus where to mount the endpoints and which parts to switch off.
 */
@ConfigurationProperties("shimmy")
public class ShimmyProperties {

  /** The model directory Shimmy scans; created if missing. */
  private Path modelDir = Path.of("models");

  /**
   * How to run Shimmy: an executable, optionally with leading arguments, split like a POSIX shell
   * would (quotes and backslash escapes, no variable expansion).
   */
  private String shimmyCommand = "shimmy";

  /**
   * Hugging Face endpoint or mirror. When unset, the HF_ENDPOINT environment variable, else
   * https://huggingface.co.
   */
  private @Nullable URI hfEndpoint;

  /** Bearer token for gated or private repositories. When unset, the HF_TOKEN environment variable. */
  private @Nullable String hfToken;

  /** When set, mutating endpoints need "Authorization: Bearer <token>". */
  private @Nullable String adminToken;

  /** How Shimmy is restarted to serve a new model set: blue-green (no downtime) or in-place. */
  private RestartMode restartMode = RestartMode.BLUE_GREEN;

  /** How long to wait for Shimmy to serve after a (re)start. */
  private Duration readyTimeout = Duration.ofSeconds(120);

  /** Models to ensure present before Shimmy starts (declarative preload), e.g. owner/repo:Q4_K_M. */
  private List<String> pull = new ArrayList<>();

  /**
   * Path prefix the endpoints are mounted under, e.g. "/shimmy"; empty mounts them at the root.
   * The application's own controllers always win over the catch-all proxy; static resources under
   * the prefix do not.
   */
  private String basePath = "";

  /**
   * Largest request body accepted on any shimmy-pull route, the proxied ones included: a larger
   * declared body, or a chunked one that grows past it, is answered 413 payload_too_large. The
   * pull API's own limit is 64 KiB.
   */
  private DataSize maxBodySize = DataSize.ofMegabytes(32);

  /**
   * How many Shimmy instances (one per model) may run at once; the least-recently-used idle one is
   * stopped to make room. At least 1.
   */
  private int maxLoadedModels = 1;

  /** Most bytes of model files running at once, e.g. 8GB; unset means no limit. */
  private @Nullable DataSize maxLoadedBytes;

  /** How many requests may wait for room at once; more get 503 with Retry-After. At least 0. */
  private int maxQueue = 64;

  /** Longest wait in the queue for room before a 503. */
  private Duration queueTimeout = Duration.ofSeconds(60);

  /** Stop an instance idle this long; -1s (the default) never, 0 as soon as it is idle. */
  private Duration keepAlive = Duration.ofSeconds(-1);

  /**
   * Model for requests that name none; unset means the only model answers them, and with several
   * models they get 400.
   */
  private @Nullable String defaultModel;

  /**
   * URL of an externally managed Shimmy, used when shimmy.supervisor.enabled is false, e.g.
   * http://shimmy:11435.
   */
  private @Nullable URI externalUrl;

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

  public DataSize getMaxBodySize() {
    return maxBodySize;
  }

  public void setMaxBodySize(DataSize maxBodySize) {
    this.maxBodySize = maxBodySize;
  }

  public int getMaxLoadedModels() {
    return maxLoadedModels;
  }

  public void setMaxLoadedModels(int maxLoadedModels) {
    if (maxLoadedModels < 1) {
      throw new IllegalArgumentException("shimmy.max-loaded-models must be at least 1, not " + maxLoadedModels);
    }
    this.maxLoadedModels = maxLoadedModels;
  }

  public @Nullable DataSize getMaxLoadedBytes() {
    return maxLoadedBytes;
  }

  public void setMaxLoadedBytes(@Nullable DataSize maxLoadedBytes) {
    if (maxLoadedBytes != null && maxLoadedBytes.toBytes() <= 0) {
      throw new IllegalArgumentException("shimmy.max-loaded-bytes must be positive, not " + maxLoadedBytes);
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
      throw new IllegalArgumentException("shimmy.queue-timeout must not be negative, not " + queueTimeout);
    }
    this.queueTimeout = queueTimeout;
  }

  public Duration getKeepAlive() {
    return keepAlive;
  }

  /** Any negative value means never and is kept as -1s. */
  public void setKeepAlive(Duration keepAlive) {
    this.keepAlive = keepAlive.isNegative() ? Duration.ofSeconds(-1) : keepAlive;
  }

  public @Nullable String getDefaultModel() {
    return defaultModel;
  }

  public void setDefaultModel(@Nullable String defaultModel) {
    this.defaultModel = defaultModel == null || defaultModel.isBlank() ? null : defaultModel.strip();
  }

  public @Nullable URI getExternalUrl() {
    return externalUrl;
  }

  public void setExternalUrl(@Nullable URI externalUrl) {
    this.externalUrl = externalUrl;
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
     * Whether requests the pull API does not answer are forwarded to Shimmy; when false they get
     * a 503 JSON error with code backend_unavailable.
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
     * externally managed Shimmy at shimmy.external-url and cannot restart it.
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
