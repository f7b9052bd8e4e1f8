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
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.spring.internal.ShimmyHandlerMapping;
import io.github.shimmypull.spring.internal.ShimmyLifecycle;
import io.github.shimmypull.supervisor.ShimmyComponents;
import io.github.shimmypull.supervisor.ShimmyOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
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
 * process per model, or an external Shimmy), the pull coordinator, the reverse proxy and the HTTP
 * API, each replaceable by a bean of the same type. Every part is built by {@link ShimmyComponents}
 * from the {@link ShimmyOptions} that {@link ShimmyProperties} convert into, the same factory the
 * server jar and the Javalin plugin build their runtime with.
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

  /**
   * The one set of options every part is built from, converted from {@link ShimmyProperties}; the
   * parts are built by {@link ShimmyComponents}, as {@link
   * io.github.shimmypull.supervisor.ShimmyRuntime}'s are.
   */
  @Bean
  @ConditionalOnMissingBean
  ShimmyOptions shimmyOptions(ShimmyProperties properties) {
    return properties.toOptions();
  }

  @Bean(name = OK_HTTP_CLIENT_BEAN)
  @ConditionalOnMissingBean(name = OK_HTTP_CLIENT_BEAN)
  OkHttpClient shimmyOkHttpClient() {
    return ShimmyProxy.defaultClient();
  }

  @Bean
  @ConditionalOnMissingBean(ModelPuller.class)
  HuggingFacePuller shimmyModelPuller(
      ShimmyOptions options,
      @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client,
      ObjectProvider<MeterRegistry> meterRegistry) {
    return ShimmyComponents.puller(options, System.getenv(), client, meterRegistry.getIfAvailable())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean(LocalModels.class)
  ModelDirectory shimmyLocalModels(ShimmyOptions options) {
    return ShimmyComponents.localModels(options);
  }

  @Bean
  @ConditionalOnMissingBean(DiscoveryRunner.class)
  ScanDiscoveryRunner shimmyDiscoveryRunner() {
    return new ScanDiscoveryRunner();
  }

  /**
   * Runs Shimmy per model as child processes, or fronts the already-running Shimmy at {@code
   * shimmy.shimmy-url}.
   */
  @Bean
  @ConditionalOnMissingBean(ShimmySupervisor.class)
  ShimmySupervisor shimmySupervisor(
      ShimmyOptions options,
      DiscoveryRunner discoveryRunner,
      @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client,
      ObjectProvider<MeterRegistry> meterRegistry) {
    return ShimmyComponents.supervisor(
        options, discoveryRunner, client, meterRegistry.getIfAvailable());
  }

  @Bean
  @ConditionalOnMissingBean
  PullCoordinator shimmyPullCoordinator(
      ShimmyOptions options,
      ModelPuller modelPuller,
      DiscoveryRunner discoveryRunner,
      ShimmySupervisor shimmySupervisor,
      LocalModels localModels,
      ObjectProvider<MeterRegistry> meterRegistry) {
    return ShimmyComponents.coordinator(
            options,
            modelPuller,
            localModels,
            discoveryRunner,
            shimmySupervisor,
            meterRegistry.getIfAvailable())
        .build();
  }

  @Bean
  @ConditionalOnMissingBean
  ShimmyHttpApi shimmyHttpApi(
      ShimmyOptions options,
      PullCoordinator pullCoordinator,
      ObjectProvider<ShimmyProxy> shimmyProxy,
      @Qualifier(METRICS_TEXT_BEAN) ObjectProvider<Supplier<String>> metricsText) {
    ShimmyHttpApi.Builder builder =
        ShimmyComponents.httpApi(options, pullCoordinator, shimmyProxy.getIfAvailable());
    metricsText.ifAvailable(builder::metrics);
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean
  ShimmyLifecycle shimmyLifecycle(ShimmyOptions options, PullCoordinator pullCoordinator) {
    return new ShimmyLifecycle(pullCoordinator, options.pull());
  }

  /**
   * How proxied requests are routed by their model: {@code shimmy.default-model} for those naming
   * none, and the names models were pulled by over Ollama's API ({@code hf.co/...}) as aliases.
   */
  @Bean
  @ConditionalOnMissingBean
  ModelRouter shimmyModelRouter(ShimmyOptions options, LocalModels localModels) {
    return ShimmyComponents.router(options, localModels);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "shimmy.proxy.enabled", matchIfMissing = true)
  ShimmyProxy shimmyProxy(
      ShimmySupervisor shimmySupervisor,
      ModelRouter shimmyModelRouter,
      @Qualifier(OK_HTTP_CLIENT_BEAN) OkHttpClient client,
      ObjectProvider<MeterRegistry> meterRegistry) {
    return ShimmyComponents.proxy(
            shimmySupervisor, shimmyModelRouter, client, meterRegistry.getIfAvailable())
        .build();
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
        ShimmyOptions options, ShimmyHttpApi shimmyHttpApi, Environment environment) {
      boolean serverCompresses =
          environment.getProperty("server.compression.enabled", Boolean.class, false);
      return new ShimmyHandlerMapping(
          options.basePath(), shimmyHttpApi, serverCompresses, options.proxyEnabled());
    }
  }
}
