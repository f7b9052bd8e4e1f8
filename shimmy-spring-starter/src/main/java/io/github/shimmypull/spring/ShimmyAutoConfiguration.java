package io.github.shimmypull.spring;

import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.core.discovery.ScanDiscoveryRunner;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.core.pull.HuggingFacePuller;
import io.github.shimmypull.core.pull.LocalModels;
import io.github.shimmypull.core.pull.ModelDirectory;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.ollama.ModelNames;
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.spring.internal.ShimmyHandlerMapping;
import io.github.shimmypull.spring.internal.ShimmyLifecycle;
import io.github.shimmypull.supervisor.ExternalShimmySupervisor;
import io.github.shimmypull.supervisor.ProcessShimmySupervisor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.nio.file.Path;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Auto-configuration of shimmy-pull: the model puller, discovery, the Shimmy supervisor (a child
 * process, or an external Shimmy), the pull coordinator, the reverse proxy and the HTTP API, each
 * replaceable by a bean of the same type, configured by {@link ShimmyProperties}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration"
    })
@EnableConfigurationProperties(ShimmyProperties.class)
public final class ShimmyAutoConfiguration {

  /** Name of the shared OkHttp client bean (Hub downloads, proxy, probes). */
  public static final String OK_HTTP_CLIENT_BEAN = "shimmyOkHttpClient";

  /**
   * Name of the {@code Supplier<String>} bean whose Prometheus text {@code GET /v1/api/metrics}
   * answers; defined when the application has one {@code PrometheusMeterRegistry}. Without it the
   * endpoint answers 404.
   */
  public static final String METRICS_TEXT_BEAN = "shimmyMetricsText";

  @Bean(name = OK_HTTP_CLIENT_BEAN)
  @ConditionalOnMissingBean(name = OK_HTTP_CLIENT_BEAN)
  OkHttpClient shimmyOkHttpClient() {
    return ShimmyProxy.defaultClient();
  }

  @Bean
  @ConditionalOnMissingBean(ModelPuller.class)
  HuggingFacePuller shimmyModelPuller(
      ShimmyProperties properties,
      @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client,
      ObjectProvider<MeterRegistry> meterRegistry) {
    HuggingFacePuller.Builder builder =
        HuggingFacePuller.Builder.fromEnvironment()
            .modelDir(modelDir(properties))
            .client(client)
            .meterRegistry(meterRegistry.getIfAvailable());
    if (properties.getHfEndpoint() != null) {
      builder.endpoint(properties.getHfEndpoint());
    }
    if (properties.getHfToken() != null) {
      builder.token(properties.getHfToken());
    }
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean(LocalModels.class)
  ModelDirectory shimmyLocalModels(ShimmyProperties properties) {
    return new ModelDirectory(modelDir(properties));
  }

  @Bean
  @ConditionalOnMissingBean(DiscoveryRunner.class)
  ScanDiscoveryRunner shimmyDiscoveryRunner() {
    return new ScanDiscoveryRunner();
  }

  @Bean
  @ConditionalOnMissingBean
  PullCoordinator shimmyPullCoordinator(
      ShimmyProperties properties,
      ModelPuller modelPuller,
      DiscoveryRunner discoveryRunner,
      ShimmySupervisor shimmySupervisor,
      LocalModels localModels,
      ObjectProvider<MeterRegistry> meterRegistry) {
    return PullCoordinator.builder()
        .modelDir(modelDir(properties))
        .puller(modelPuller)
        .discovery(discoveryRunner)
        .supervisor(shimmySupervisor)
        .localModels(localModels)
        .readyTimeout(properties.getReadyTimeout())
        // An external Shimmy cannot be restarted for files that come and go by other means.
        .watch(properties.getSupervisor().isEnabled())
        .meterRegistry(meterRegistry.getIfAvailable())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean
  ShimmyHttpApi shimmyHttpApi(
      ShimmyProperties properties,
      PullCoordinator pullCoordinator,
      ObjectProvider<ShimmyProxy> shimmyProxy,
      @Qualifier(METRICS_TEXT_BEAN) ObjectProvider<Supplier<String>> metricsText) {
    ShimmyHttpApi.Builder builder =
        ShimmyHttpApi.builder()
            .coordinator(pullCoordinator)
            .adminToken(properties.getAdminToken())
            .maxBodyBytes(properties.getMaxBodySize().toBytes())
            .serviceVersion(serviceVersion());
    shimmyProxy.ifAvailable(builder::proxy);
    metricsText.ifAvailable(builder::metrics);
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean
  ShimmyLifecycle shimmyLifecycle(ShimmyProperties properties, PullCoordinator pullCoordinator) {
    return new ShimmyLifecycle(
        pullCoordinator, properties.getPull().stream().map(ModelRef::parse).toList());
  }

  private static Path modelDir(ShimmyProperties properties) {
    return properties.getModelDir().toAbsolutePath().normalize();
  }

  private static String serviceVersion() {
    String version = ShimmyAutoConfiguration.class.getPackage().getImplementationVersion();
    return version == null ? "unknown" : version;
  }

  /**
   * How proxied requests are routed by their model: {@code shimmy.default-model} for those naming
   * none, and the names models were pulled by over Ollama's API ({@code hf.co/...}) as aliases.
   */
  @Bean
  @ConditionalOnMissingBean
  ModelRouter shimmyModelRouter(ShimmyProperties properties, LocalModels localModels) {
    return ModelRouter.builder()
        .defaultModel(properties.getDefaultModel())
        .alias(new ModelNames(modelDir(properties), localModels::list).resolver())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "shimmy.proxy.enabled", matchIfMissing = true)
  ShimmyProxy shimmyProxy(
      ShimmySupervisor shimmySupervisor,
      ModelRouter shimmyModelRouter,
      @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client,
      ObjectProvider<MeterRegistry> meterRegistry) {
    ShimmyProxy.Builder builder =
        ShimmyProxy.builder().supervisor(shimmySupervisor).router(shimmyModelRouter).client(client);
    meterRegistry.ifAvailable(builder::meterRegistry);
    return builder.build();
  }

  /** {@code GET /v1/api/metrics} scrapes the application's Prometheus registry when it has one. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(PrometheusMeterRegistry.class)
  static class PrometheusMetricsConfiguration {

    @Bean(name = METRICS_TEXT_BEAN)
    @ConditionalOnSingleCandidate(PrometheusMeterRegistry.class)
    @ConditionalOnMissingBean(name = METRICS_TEXT_BEAN)
    Supplier<String> shimmyMetricsText(PrometheusMeterRegistry registry) {
      return registry::scrape;
    }
  }

  /** Mounts the HTTP API (and through it the proxy) in a Spring MVC application. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass({DispatcherServlet.class, HttpServletRequest.class})
  static class WebMvcConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ShimmyHandlerMapping shimmyHandlerMapping(
        ShimmyProperties properties, ShimmyHttpApi shimmyHttpApi, Environment environment) {
      boolean serverCompresses =
          environment.getProperty("server.compression.enabled", Boolean.class, false);
      return new ShimmyHandlerMapping(properties.getBasePath(), shimmyHttpApi, serverCompresses);
    }
  }

  /** Runs Shimmy as a child process (the default). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "shimmy.supervisor.enabled", matchIfMissing = true)
  static class ProcessShimmyConfiguration {

    @Bean
    @ConditionalOnMissingBean(ShimmySupervisor.class)
    ProcessShimmySupervisor shimmySupervisor(
        ShimmyProperties properties,
        DiscoveryRunner discoveryRunner,
        @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client) {
      return ProcessShimmySupervisor.newBuilder(modelDir(properties))
          .command(properties.getShimmyCommand())
          .restartMode(properties.getRestartMode())
          .readyTimeout(properties.getReadyTimeout())
          .discovery(discoveryRunner)
          .httpClient(client)
          .maxLoadedModels(properties.getMaxLoadedModels())
          .maxLoadedBytes(properties.getMaxLoadedBytes() == null ? 0 : properties.getMaxLoadedBytes().toBytes())
          .maxQueue(properties.getMaxQueue())
          .queueTimeout(properties.getQueueTimeout())
          .keepAlive(properties.getKeepAlive())
          .build();
    }
  }

  /** Fronts an externally managed Shimmy when {@code shimmy.supervisor.enabled=false}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBooleanProperty(name = "shimmy.supervisor.enabled", havingValue = false)
  static class ExternalShimmyConfiguration {

    @Bean
    @ConditionalOnMissingBean(ShimmySupervisor.class)
    ExternalShimmySupervisor shimmySupervisor(
        ShimmyProperties properties, @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client) {
      URI url = properties.getExternalUrl();
      if (url == null) {
        throw new IllegalStateException(
            "shimmy.supervisor.enabled=false needs shimmy.external-url, the URL of the Shimmy to"
                + " front, e.g. http://shimmy:11435");
      }
      return new ExternalShimmySupervisor(url, client);
    }
  }
}
