package io.github.shimmypull.supervisor;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.coordinator.PreloadResult;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.ollama.ModelNames;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.supervisor.internal.SupervisorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * The one factory of shimmy-pull's parts from {@link ShimmyOptions}: {@link ShimmyRuntime} builds
 * with it, and the Spring starter builds its beans with it (each replaceable by an application
 * bean), so a new option or behaviour lands in both at once. Each method builds one part from the
 * options and the parts it needs.
 */
public final class ShimmyComponents {

  private static final String VERSION = readVersion();

  private ShimmyComponents() {}

  /** This library's version, e.g. {@code 0.1.0-SNAPSHOT}; what {@code GET /} reports. */
  public static String version() {
    return VERSION;
  }

  /** The absolute, normalised model directory. */
  public static Path modelDir(ShimmyOptions options) {
    return options.modelDir().toAbsolutePath().normalize();
  }

  /**
   * The Hugging Face puller's builder: the endpoint and token from the options, else from {@code
   * HF_ENDPOINT} and {@code HF_TOKEN} in {@code env} ({@link
   * HuggingFacePuller.Builder#fromEnvironment}), the model directory and the disk reserve; the
   * caller may tune it further before building.
   */
  public static HuggingFacePuller.Builder puller(
      ShimmyOptions options,
      Map<String, String> env,
      OkHttpClient client,
      @Nullable MeterRegistry registry) {
    HuggingFacePuller.Builder builder =
        HuggingFacePuller.Builder.fromEnvironment(env)
            .modelDir(modelDir(options))
            .client(client)
            .diskReserveBytes(options.diskReserveBytes())
            .meterRegistry(registry);
    String endpoint = options.hfEndpoint();
    if (endpoint != null) {
      builder.endpoint(endpoint.trim());
    }
    String token = options.hfToken();
    if (token != null) {
      builder.token(token.trim());
    }
    return builder;
  }

  /** The model files in the model directory. */
  public static ModelDirectory localModels(ShimmyOptions options) {
    return new ModelDirectory(modelDir(options));
  }

  /**
   * The supervisor: an {@link ExternalShimmySupervisor} fronting {@link ShimmyOptions#shimmyUrl()}
   * when it is set, else a {@link ProcessShimmySupervisor} running Shimmy per model. Its meters go
   * to {@code registry} when there is one.
   */
  public static ShimmySupervisor supervisor(
      ShimmyOptions options,
      DiscoveryRunner discovery,
      OkHttpClient client,
      @Nullable MeterRegistry registry) {
    URI external = options.shimmyUrl();
    if (external != null) {
      return new ExternalShimmySupervisor(external, client);
    }
    ProcessShimmySupervisor.Builder builder =
        ProcessShimmySupervisor.newBuilder(modelDir(options))
            .command(options.shimmyCommand())
            .restartMode(options.restartMode())
            .readyTimeout(options.readyTimeout())
            .discovery(discovery)
            .httpClient(client)
            .maxLoadedModels(options.maxLoadedModels())
            .maxLoadedBytes(options.maxLoadedBytes())
            .maxQueue(options.maxQueue())
            .queueTimeout(options.queueTimeout())
            .keepAlive(options.keepAlive());
    if (registry == null) {
      return builder.build();
    }
    SupervisorMetrics metrics = SupervisorMetrics.on(registry);
    ProcessShimmySupervisor supervisor = builder.events(metrics).build();
    metrics.bindGauges(supervisor);
    return supervisor;
  }

  /**
   * How requests are routed by their model: the default model for those naming none, and the names
   * models were pulled by over Ollama's API ({@code hf.co/...}) as aliases.
   */
  public static ModelRouter router(ShimmyOptions options, LocalModels localModels) {
    return ModelRouter.builder()
        .defaultModel(options.defaultModel())
        .alias(new ModelNames(modelDir(options), localModels::list).resolver())
        .build();
  }

  /**
   * The pull coordinator's builder. The directory watcher is on only when this library runs Shimmy:
   * an external Shimmy cannot be restarted for files that come and go by other means.
   */
  public static PullCoordinator.Builder coordinator(
      ShimmyOptions options,
      ModelPuller puller,
      LocalModels localModels,
      DiscoveryRunner discovery,
      ShimmySupervisor supervisor,
      @Nullable MeterRegistry registry) {
    return PullCoordinator.builder()
        .modelDir(modelDir(options))
        .puller(puller)
        .localModels(localModels)
        .discovery(discovery)
        .supervisor(supervisor)
        .readyTimeout(options.readyTimeout())
        .watch(!(supervisor instanceof ExternalShimmySupervisor))
        .meterRegistry(registry);
  }

  /** The reverse proxy to the instance of the model a request names. */
  public static ShimmyProxy.Builder proxy(
      ShimmySupervisor supervisor,
      ModelRouter router,
      OkHttpClient client,
      @Nullable MeterRegistry registry) {
    ShimmyProxy.Builder builder =
        ShimmyProxy.builder().supervisor(supervisor).router(router).client(client);
    if (registry != null) {
      builder.meterRegistry(registry);
    }
    return builder;
  }

  /**
   * The HTTP API's builder: admin token, body limit, {@link #version()}, and the proxy as its
   * fallback when there is one.
   */
  public static ShimmyHttpApi.Builder httpApi(
      ShimmyOptions options, PullCoordinator coordinator, @Nullable ShimmyProxy proxy) {
    ShimmyHttpApi.Builder builder =
        ShimmyHttpApi.builder()
            .coordinator(coordinator)
            .adminToken(options.adminToken())
            .maxBodyBytes(options.maxBodyBytes())
            .serviceVersion(version());
    if (proxy != null) {
      builder.proxy(proxy);
    }
    return builder;
  }

  /**
   * Makes the {@link ShimmyOptions#pull()} references present, trying every one.
   *
   * @throws PullException for the first reference that could not be made present, after all were
   *     tried: a declared model is a requirement, and a service started without it would only
   *     answer 404 for it
   */
  public static List<PreloadResult> preload(PullCoordinator coordinator, List<String> refs) {
    List<PreloadResult> results = coordinator.preload(refs.stream().map(ModelRef::parse).toList());
    for (PreloadResult result : results) {
      PullException error = result.error();
      if (error != null) {
        throw new PullException(
            error.reason(), "preload of " + result.ref() + " failed: " + error.getMessage(), error);
      }
    }
    return results;
  }

  private static String readVersion() {
    Properties properties = new Properties();
    try (InputStream in = ShimmyComponents.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties.getProperty("version", "unknown");
  }
}
