package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.server.javalin.ShimmyServer;
import io.github.shimmypull.supervisor.ShimmyOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code serve}: the front server with the pull API and the reverse proxy, supervising Shimmy. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    description = {
      "Serves the pull API and proxies everything else to a supervised Shimmy (the default command).",
      "Every option can also be set by the environment variable named after it."
    })
public final class ServeCommand implements Callable<Integer> {

  private static final ShimmyOptions DEFAULTS = ShimmyOptions.defaults();

  @Option(
      names = "--port",
      defaultValue = "8080",
      paramLabel = "N",
      description =
          "Port of the front server; 0 picks a free one (env SHIMMY_PULL_PORT, default ${DEFAULT-VALUE}).")
  public int port;

  @Option(
      names = "--bind",
      defaultValue = "0.0.0.0",
      paramLabel = "ADDR",
      description = "Address of the front server (env SHIMMY_PULL_BIND, default ${DEFAULT-VALUE}).")
  public String bind = "0.0.0.0";

  @Option(
      names = "--model-dir",
      paramLabel = "DIR",
      description =
          "Model directory Shimmy scans; created if missing (env SHIMMY_PULL_MODEL_DIR, default ${DEFAULT-VALUE}).")
  public Path modelDir = DEFAULTS.modelDir();

  @Option(
      names = "--shimmy-command",
      paramLabel = "CMD",
      description =
          "How to run Shimmy: an executable with optional leading arguments, split like a POSIX shell (env SHIMMY_PULL_SHIMMY_COMMAND, default ${DEFAULT-VALUE}).")
  public String shimmyCommand = String.join(" ", DEFAULTS.shimmyCommand());

  @Option(
      names = "--shimmy-url",
      paramLabel = "URL",
      converter = ShimmyUrlConverter.class,
      description =
          "Front an already-running Shimmy at this URL instead of running one; it is not restarted and the directory is not watched (env SHIMMY_PULL_SHIMMY_URL).")
  public @Nullable URI shimmyUrl;

  @Option(
      names = "--hf-endpoint",
      paramLabel = "URL",
      description =
          "Hugging Face endpoint or mirror (env SHIMMY_PULL_HF_ENDPOINT or HF_ENDPOINT, default https://huggingface.co).")
  public @Nullable String hfEndpoint;

  @Option(
      names = "--hf-token",
      paramLabel = "TOKEN",
      description =
          "Bearer token for gated or private repos (env SHIMMY_PULL_HF_TOKEN or HF_TOKEN).")
  public @Nullable String hfToken;

  @Option(
      names = "--admin-token",
      paramLabel = "TOKEN",
      description =
          "When set, mutating endpoints need 'Authorization: Bearer TOKEN' (env SHIMMY_PULL_ADMIN_TOKEN).")
  public @Nullable String adminToken;

  @Option(
      names = "--restart-mode",
      paramLabel = "MODE",
      converter = RestartModeConverter.class,
      description =
          "blue-green (start new, switch, drain old) or in-place (env SHIMMY_PULL_RESTART_MODE, default ${DEFAULT-VALUE}).")
  public RestartMode restartMode = DEFAULTS.restartMode();

  @Option(
      names = "--ready-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "How long to wait for Shimmy to serve after a (re)start: 90s, 2m, PT2M (env SHIMMY_PULL_READY_TIMEOUT, default ${DEFAULT-VALUE}).")
  public Duration readyTimeout = DEFAULTS.readyTimeout();

  @Option(
      names = "--pull",
      paramLabel = "REF",
      split = ",",
      description =
          "Model to ensure present before Shimmy starts; repeatable (env SHIMMY_PULL_PULL, comma-separated).")
  public List<String> pull = new ArrayList<>();

  @Option(
      names = "--max-body-bytes",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description =
          "Largest request body on any route, e.g. 64MiB; 413 above it (env SHIMMY_PULL_MAX_BODY_BYTES, default ${DEFAULT-VALUE}).")
  public long maxBodyBytes = DEFAULTS.maxBodyBytes();

  @Option(
      names = "--disk-reserve-bytes",
      paramLabel = "SIZE",
      converter = ReserveConverter.class,
      description =
          "Free disk space a pull must leave, e.g. 5GiB, 0 for none; 507 when it would not (env SHIMMY_PULL_DISK_RESERVE_BYTES, default ${DEFAULT-VALUE}).")
  public long diskReserveBytes = DEFAULTS.diskReserveBytes();

  @Option(
      names = "--body-read-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Longest a client may stay silent while its request body is incomplete; then 408 and the connection is closed (netty engine; env SHIMMY_PULL_BODY_READ_TIMEOUT, default the edge's, 30s).")
  public @Nullable Duration bodyReadTimeout;

  @Option(
      names = "--proxy-engine",
      defaultValue = "netty",
      paramLabel = "ENGINE",
      converter = ProxyEngineConverter.class,
      description =
          "netty: a non-blocking edge on the port forwards proxied requests straight to Shimmy and hands the rest to the app on a loopback port; javalin: the app serves the port itself (env SHIMMY_PULL_PROXY_ENGINE, default ${DEFAULT-VALUE}).")
  public ProxyEngine proxyEngine = ProxyEngine.NETTY;

  @Option(
      names = "--max-loaded-models",
      paramLabel = "N",
      converter = AtLeastOneConverter.class,
      description =
          "How many Shimmy instances (one per model) may run at once; the least-recently-used idle one is stopped to make room (env SHIMMY_PULL_MAX_LOADED_MODELS, default ${DEFAULT-VALUE}).")
  public int maxLoadedModels = DEFAULTS.maxLoadedModels();

  @Option(
      names = "--max-loaded-bytes",
      paramLabel = "BYTES",
      converter = SizeConverter.class,
      description =
          "Most bytes of model files running at once, e.g. 8GiB or 512MiB (env SHIMMY_PULL_MAX_LOADED_BYTES, default no limit).")
  public @Nullable Long maxLoadedBytes;

  @Option(
      names = "--max-queue",
      paramLabel = "N",
      converter = NotNegativeConverter.class,
      description =
          "How many requests may wait for room at once; more get 503 with Retry-After (env SHIMMY_PULL_MAX_QUEUE, default ${DEFAULT-VALUE}).")
  public int maxQueue = DEFAULTS.maxQueue();

  @Option(
      names = "--queue-timeout",
      paramLabel = "DURATION",
      converter = NonNegativeDurationConverter.class,
      description =
          "Longest wait in the queue for room before a 503 (env SHIMMY_PULL_QUEUE_TIMEOUT, default ${DEFAULT-VALUE}).")
  public Duration queueTimeout = DEFAULTS.queueTimeout();

  @Option(
      names = "--keep-alive",
      paramLabel = "DURATION",
      converter = KeepAliveConverter.class,
      description =
          "Stop an instance idle this long; -1 never, 0 as soon as it is idle (env SHIMMY_PULL_KEEP_ALIVE, default ${DEFAULT-VALUE}).")
  public Duration keepAlive = DEFAULTS.keepAlive();

  @Option(
      names = "--default-model",
      paramLabel = "ID",
      description =
          "Model for requests that name none; without it the only model answers them, and with several they get 400 (env SHIMMY_PULL_DEFAULT_MODEL).")
  public @Nullable String defaultModel;

  /** The environment the options' defaults were read from; the runtime reads HF_* from it too. */
  public Map<String, String> environment = Map.of();

  /** These options as the one options type the runtime is built from. */
  public ShimmyOptions toOptions() {
    ShimmyOptions.Builder options =
        ShimmyOptions.newBuilder()
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
            .maxQueue(maxQueue)
            .queueTimeout(queueTimeout)
            .keepAlive(keepAlive)
            .defaultModel(defaultModel)
            .maxBodyBytes(maxBodyBytes)
            .diskReserveBytes(diskReserveBytes)
            .bodyReadTimeout(bodyReadTimeout);
    if (maxLoadedBytes != null) {
      options.maxLoadedBytes(maxLoadedBytes);
    }
    return options.build();
  }

  /** Where the front server listens and what serves its port. */
  public ShimmyServer.Front front() {
    return new ShimmyServer.Front(bind, port, proxyEngine == ProxyEngine.NETTY);
  }

  @Override
  public Integer call() {
    try (ShimmyServer server = ShimmyServer.start(toOptions(), front())) {
      server.awaitStop();
    }
    return 0;
  }

  /** Parses an http(s) URL. */
  static final class ShimmyUrlConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      URI uri;
      try {
        uri = new URI(value.trim());
      } catch (URISyntaxException e) {
        throw new TypeConversionException("'" + value + "' is not a URL");
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new TypeConversionException(
            "'" + value + "' is not an http(s) URL such as http://127.0.0.1:11435");
      }
      return uri;
    }
  }

  /** Parses bytes or {@code 5GiB}; {@code 0} means no reserve. */
  static final class ReserveConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      if (value.trim().equals("0")) {
        return 0L;
      }
      return new SizeConverter().convert(value);
    }
  }

  /** Parses {@code blue-green} / {@code in-place}. */
  static final class RestartModeConverter implements ITypeConverter<RestartMode> {
    @Override
    public RestartMode convert(String value) {
      return RestartMode.parse(value);
    }
  }

  static final class ProxyEngineConverter implements ITypeConverter<ProxyEngine> {
    @Override
    public ProxyEngine convert(String value) {
      return ProxyEngine.parse(value);
    }
  }

  /** Parses a count that must be at least 1. */
  static final class AtLeastOneConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n = integer(value);
      if (n < 1) {
        throw new TypeConversionException("must be at least 1, not " + value.trim());
      }
      return n;
    }
  }

  /** Parses a count that must not be negative. */
  static final class NotNegativeConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      int n = integer(value);
      if (n < 0) {
        throw new TypeConversionException("must not be negative, not " + value.trim());
      }
      return n;
    }
  }

  private static int integer(String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a whole number");
    }
  }

  /** Parses bytes or {@code 512MiB}, {@code 8GiB}. */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Sizes.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(String.valueOf(e.getMessage()));
      }
    }
  }

  /** Parses {@code 0} or a duration. */
  static final class NonNegativeDurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parseNonNegative(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(String.valueOf(e.getMessage()));
      }
    }
  }

  /** Parses {@code -1} (never), {@code 0} or a duration. */
  static final class KeepAliveConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parseKeepAlive(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(String.valueOf(e.getMessage()));
      }
    }
  }

  /** Parses {@code 120s}, {@code 2m}, ISO-8601. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return Durations.parse(value);
    }
  }
}
