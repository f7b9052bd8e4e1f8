package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.server.javalin.ShimmyServer;
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

  @Option(
      names = "--port",
      defaultValue = "8080",
      paramLabel = "N",
      description = "Port of the front server; 0 picks a free one (env SHIMMY_PULL_PORT, default ${DEFAULT-VALUE}).")
  public int port;

  @Option(
      names = "--bind",
      defaultValue = "0.0.0.0",
      paramLabel = "ADDR",
      description = "Address of the front server (env SHIMMY_PULL_BIND, default ${DEFAULT-VALUE}).")
  public String bind = "0.0.0.0";

  @Option(
      names = "--model-dir",
      defaultValue = "./models",
      paramLabel = "DIR",
      description = "Model directory Shimmy scans; created if missing (env SHIMMY_PULL_MODEL_DIR, default ${DEFAULT-VALUE}).")
  public Path modelDir = Path.of("models");

  @Option(
      names = "--shimmy-command",
      defaultValue = "shimmy",
      paramLabel = "CMD",
      description = "How to run Shimmy: an executable with optional leading arguments, split like a POSIX shell (env SHIMMY_PULL_SHIMMY_COMMAND, default ${DEFAULT-VALUE}).")
  public String shimmyCommand = "shimmy";

  @Option(
      names = "--hf-endpoint",
      paramLabel = "URL",
      description = "Hugging Face endpoint or mirror (env SHIMMY_PULL_HF_ENDPOINT or HF_ENDPOINT, default https://huggingface.co).")
  public @Nullable String hfEndpoint;

  @Option(
      names = "--hf-token",
      paramLabel = "TOKEN",
      description = "Bearer token for gated or private repos (env SHIMMY_PULL_HF_TOKEN or HF_TOKEN).")
  public @Nullable String hfToken;

  @Option(
      names = "--admin-token",
      paramLabel = "TOKEN",
      description = "When set, mutating endpoints need 'Authorization: Bearer TOKEN' (env SHIMMY_PULL_ADMIN_TOKEN).")
  public @Nullable String adminToken;

  @Option(
      names = "--restart-mode",
      defaultValue = "blue-green",
      paramLabel = "MODE",
      converter = RestartModeConverter.class,
      description = "blue-green (start new, switch, drain old) or in-place (env SHIMMY_PULL_RESTART_MODE, default ${DEFAULT-VALUE}).")
  public RestartMode restartMode = RestartMode.BLUE_GREEN;

  @Option(
      names = "--ready-timeout",
      defaultValue = "120s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long to wait for Shimmy to serve after a (re)start: 120s, 2m, PT2M (env SHIMMY_PULL_READY_TIMEOUT, default ${DEFAULT-VALUE}).")
  public Duration readyTimeout = Duration.ofSeconds(120);

  @Option(
      names = "--pull",
      paramLabel = "REF",
      split = ",",
      description = "Model to ensure present before Shimmy starts; repeatable (env SHIMMY_PULL_PULL, comma-separated).")
  public List<String> pull = new ArrayList<>();

  @Option(
      names = "--max-body-size",
      defaultValue = "33554432",
      paramLabel = "BYTES",
      description = "Largest request body accepted by the front server (env SHIMMY_PULL_MAX_BODY_SIZE, default ${DEFAULT-VALUE}).")
  public long maxBodySize = 32L * 1024 * 1024;

  @Option(
      names = "--proxy-engine",
      defaultValue = "netty",
      paramLabel = "ENGINE",
      converter = ProxyEngineConverter.class,
      description = "netty: a non-blocking edge on the port forwards proxied requests straight to Shimmy and hands the rest to the app on a loopback port; javalin: the app serves the port itself (env SHIMMY_PULL_PROXY_ENGINE, default ${DEFAULT-VALUE}).")
  public ProxyEngine proxyEngine = ProxyEngine.NETTY;

  @Option(
      names = "--max-loaded-models",
      defaultValue = "1",
      paramLabel = "N",
      converter = AtLeastOneConverter.class,
      description = "How many Shimmy instances (one per model) may run at once; the least-recently-used idle one is stopped to make room (env SHIMMY_PULL_MAX_LOADED_MODELS, default ${DEFAULT-VALUE}).")
  public int maxLoadedModels = 1;

  @Option(
      names = "--max-loaded-bytes",
      paramLabel = "BYTES",
      converter = SizeConverter.class,
      description = "Most bytes of model files running at once, e.g. 8GiB or 512MiB (env SHIMMY_PULL_MAX_LOADED_BYTES, default no limit).")
  public @Nullable Long maxLoadedBytes;

  @Option(
      names = "--max-queue",
      defaultValue = "64",
      paramLabel = "N",
      converter = NotNegativeConverter.class,
      description = "How many requests may wait for room at once; more get 503 with Retry-After (env SHIMMY_PULL_MAX_QUEUE, default ${DEFAULT-VALUE}).")
  public int maxQueue = 64;

  @Option(
      names = "--queue-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      converter = NonNegativeDurationConverter.class,
      description = "Longest wait in the queue for room before a 503 (env SHIMMY_PULL_QUEUE_TIMEOUT, default ${DEFAULT-VALUE}).")
  public Duration queueTimeout = Duration.ofSeconds(60);

  @Option(
      names = "--keep-alive",
      defaultValue = "-1",
      paramLabel = "DURATION",
      converter = KeepAliveConverter.class,
      description = "Stop an instance idle this long; -1 never, 0 as soon as it is idle (env SHIMMY_PULL_KEEP_ALIVE, default ${DEFAULT-VALUE}).")
  public Duration keepAlive = Durations.NEVER;

  @Option(
      names = "--default-model",
      paramLabel = "ID",
      description = "Model for requests that name none; without it the only model answers them, and with several they get 400 (env SHIMMY_PULL_DEFAULT_MODEL).")
  public @Nullable String defaultModel;

  /** The environment the options' defaults were read from; the runtime reads HF_* from it too. */
  public Map<String, String> environment = Map.of();

  @Override
  public Integer call() {
    try (ShimmyServer server = ShimmyServer.start(this)) {
      server.awaitStop();
    }
    return 0;
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
