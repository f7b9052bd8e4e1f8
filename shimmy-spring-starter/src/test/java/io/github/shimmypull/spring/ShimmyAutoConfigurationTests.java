package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.github.shimmypull.core.routing.ModelRouter;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.RestartMode;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.spring.TestBackends.NoModels;
import io.github.shimmypull.spring.TestBackends.RecordingPuller;
import io.github.shimmypull.spring.TestBackends.RecordingSupervisor;
import io.github.shimmypull.spring.internal.ServletHttpExchange;
import io.github.shimmypull.spring.internal.ShimmyHandlerMapping;
import io.github.shimmypull.spring.internal.ShimmyLifecycle;
import io.github.shimmypull.supervisor.ExternalShimmySupervisor;
import io.github.shimmypull.supervisor.ProcessShimmySupervisor;
import io.github.shimmypull.supervisor.ShimmyComponents;
import io.github.shimmypull.supervisor.ShimmyOptions;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.unit.DataSize;
import org.springframework.web.servlet.DispatcherServlet;

class ShimmyAutoConfigurationTests {

  private static final AutoConfigurations SHIMMY =
      AutoConfigurations.of(
          ShimmyAutoConfiguration.class, ShimmyHealthContributorAutoConfiguration.class);

  @TempDir Path modelDir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(SHIMMY)
        .withPropertyValues("shimmy.model-dir=" + modelDir);
  }

  private WebApplicationContextRunner webRunner() {
    return new WebApplicationContextRunner()
        .withConfiguration(SHIMMY)
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("shimmy.model-dir=" + modelDir);
  }

  @Test
  void byDefaultEveryPieceIsTheLibrarysOwnAndShimmyIsIdleWithoutAModel() {
    runner()
        .withPropertyValues("shimmy.shimmy-command=" + FakeShimmy.commandLine())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(HuggingFacePuller.class);
              assertThat(context).hasSingleBean(ModelDirectory.class);
              assertThat(context).hasSingleBean(ScanDiscoveryRunner.class);
              assertThat(context).hasSingleBean(ProcessShimmySupervisor.class);
              assertThat(context).hasSingleBean(PullCoordinator.class);
              assertThat(context).hasSingleBean(ShimmyProxy.class);
              assertThat(context).hasSingleBean(ShimmyHttpApi.class);
              assertThat(context).hasSingleBean(ShimmyLifecycle.class);
              assertThat(context).hasBean(ShimmyAutoConfiguration.OK_HTTP_CLIENT_BEAN);
              assertThat(context.getBean(PullCoordinator.class).modelDir())
                  .isEqualTo(modelDir.toAbsolutePath().normalize());
              assertThat(context.getBean(ShimmySupervisor.class).state().status())
                  .isEqualTo(BackendStatus.IDLE);
            });
  }

  @Test
  void metersGoToTheApplicationsMeterRegistry() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context ->
                assertThat(context.getBean(SimpleMeterRegistry.class).getMeters())
                    .extracting(meter -> meter.getId().getName())
                    .contains("shimmy.backend.state", "shimmy.pull.active"));
  }

  @Test
  void theMetricsEndpointScrapesTheApplicationsPrometheusRegistry() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withBean(
            PrometheusMeterRegistry.class,
            () -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .run(
            context -> {
              MockHttpServletResponse response =
                  get(context.getBean(ShimmyHttpApi.class), "/v1/api/metrics");

              assertThat(response.getStatus()).isEqualTo(200);
              assertThat(response.getContentType()).startsWith("text/plain");
              assertThat(response.getContentAsString()).contains("shimmy_backend_state");
            });
  }

  @Test
  void withoutAPrometheusRegistryTheMetricsEndpointIs404() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(ShimmyAutoConfiguration.METRICS_TEXT_BEAN);
              assertThat(get(context.getBean(ShimmyHttpApi.class), "/v1/api/metrics").getStatus())
                  .isEqualTo(404);
            });
  }

  @Test
  void withoutMicrometersPrometheusRegistryOnTheClasspathTheMetricsEndpointIs404() {
    runner()
        .withClassLoader(new FilteredClassLoader(PrometheusMeterRegistry.class))
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(get(context.getBean(ShimmyHttpApi.class), "/v1/api/metrics").getStatus())
                  .isEqualTo(404);
            });
  }

  private static MockHttpServletResponse get(ShimmyHttpApi api, String path) throws Exception {
    MockHttpServletResponse response = new MockHttpServletResponse();
    api.handle(new ServletHttpExchange(new MockHttpServletRequest("GET", path), response));
    return response;
  }

  @Test
  void userBeansReplaceEveryPieceAndTheCoordinatorIsBuiltFromThem() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(ShimmySupervisor.class);
              assertThat(context.getBean(ShimmySupervisor.class))
                  .isInstanceOf(RecordingSupervisor.class);
              assertThat(context).hasSingleBean(ModelPuller.class);
              assertThat(context.getBean(ModelPuller.class)).isInstanceOf(RecordingPuller.class);
              assertThat(context).hasSingleBean(LocalModels.class);
              assertThat(context.getBean(PullCoordinator.class).supervisor())
                  .isSameAs(context.getBean(ShimmySupervisor.class));
              assertThat(context).hasSingleBean(ShimmyProxy.class);
              assertThat(context).hasSingleBean(ShimmyHttpApi.class);
            });
  }

  @Test
  void aUserCoordinatorProxyAndApiWinToo() {
    runner()
        .withUserConfiguration(UserBackend.class, UserFrontEnd.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(PullCoordinator.class)).isSameAs(UserFrontEnd.coordinator);
              assertThat(context).getBean("userProxy").isSameAs(context.getBean(ShimmyProxy.class));
              assertThat(context).getBean("userApi").isSameAs(context.getBean(ShimmyHttpApi.class));
              assertThat(context).getBean("shimmyOkHttpClient").isSameAs(UserFrontEnd.client);
            });
  }

  @Test
  void theSupervisorStartsWithTheContextAndStopsWhenItCloses() {
    RecordingSupervisor[] supervisor = new RecordingSupervisor[1];
    runner()
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              supervisor[0] = (RecordingSupervisor) context.getBean(ShimmySupervisor.class);
              assertThat(context.getBean(ShimmyLifecycle.class).isRunning()).isTrue();
              assertThat(supervisor[0].starts).hasValue(1);
              assertThat(supervisor[0].stops).hasValue(0);
            });
    assertThat(supervisor[0].stops.get()).isPositive();
  }

  @Test
  void
      aDeclaredModelThatCannotBeMadePresentFailsStartupAfterEveryOneWasTriedAndShimmyNeverStarts() {
    // As in the server jar (ShimmyComponents.preload): a declared model is a requirement.
    RecordingPuller puller = new RecordingPuller();
    RecordingSupervisor supervisor = new RecordingSupervisor();
    runner()
        .withBean("userPuller", RecordingPuller.class, () -> puller)
        .withBean("userLocalModels", NoModels.class, NoModels::new)
        .withBean("userSupervisor", RecordingSupervisor.class, () -> supervisor)
        .withPropertyValues(
            "shimmy.pull[0]=acme/tiny-GGUF:Q8_0", "shimmy.pull[1]=hf.co/acme/other-GGUF")
        .run(
            context -> {
              assertThat(context)
                  .getFailure()
                  .rootCause()
                  .hasMessageContaining("no such repo in this test");
              assertThat(context)
                  .getFailure()
                  .hasStackTraceContaining("preload of acme/tiny-GGUF:Q8_0 failed");
            });
    assertThat(puller.prepared)
        .extracting(ModelRef::repo)
        .containsExactly("acme/tiny-GGUF", "acme/other-GGUF");
    assertThat(supervisor.starts).hasValue(0);
  }

  @Test
  void anInvalidPreloadReferenceFailsStartupNamingIt() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("shimmy.pull[0]=not a repo")
        .run(
            context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("not a repo"));
  }

  @Test
  void propertiesBindWithBootsRelaxedRules() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues(
            "shimmy.shimmy-command=python3 /opt/fake.py",
            "shimmy.hf-endpoint=http://127.0.0.1:9/hub",
            "shimmy.hf-token=hf_x",
            "shimmy.admin-token=secret",
            "shimmy.restart-mode=in-place",
            "shimmy.ready-timeout=7s",
            "shimmy.base-path=/shimmy",
            "shimmy.proxy.enabled=false",
            "shimmy.shimmy-url=http://shimmy:11435")
        .run(
            context -> {
              ShimmyProperties properties = context.getBean(ShimmyProperties.class);
              assertThat(properties.getModelDir()).isEqualTo(modelDir);
              assertThat(properties.getShimmyCommand()).isEqualTo("python3 /opt/fake.py");
              assertThat(properties.getHfEndpoint())
                  .isEqualTo(URI.create("http://127.0.0.1:9/hub"));
              assertThat(properties.getHfToken()).isEqualTo("hf_x");
              assertThat(properties.getAdminToken()).isEqualTo("secret");
              assertThat(properties.getRestartMode()).isEqualTo(RestartMode.IN_PLACE);
              assertThat(properties.getReadyTimeout()).isEqualTo(Duration.ofSeconds(7));
              assertThat(properties.getBasePath()).isEqualTo("/shimmy");
              assertThat(properties.getProxy().isEnabled()).isFalse();
              assertThat(properties.getShimmyUrl()).isEqualTo(URI.create("http://shimmy:11435"));
              assertThat(context.getBean(PullCoordinator.class).readyTimeout())
                  .isEqualTo(Duration.ofSeconds(7));
            });
  }

  @Test
  void propertyDefaultsMatchTheServerJar() {
    ShimmyProperties defaults = new ShimmyProperties();

    assertThat(defaults.toOptions()).usingRecursiveComparison().isEqualTo(ShimmyOptions.defaults());

    assertThat(defaults.getModelDir()).isEqualTo(Path.of("./models"));
    assertThat(defaults.getShimmyCommand()).isEqualTo("shimmy");
    assertThat(defaults.getRestartMode()).isEqualTo(RestartMode.BLUE_GREEN);
    assertThat(defaults.getReadyTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(defaults.getPull()).isEmpty();
    assertThat(defaults.getBasePath()).isEmpty();
    assertThat(defaults.getMaxBodyBytes().toBytes()).isEqualTo(32L * 1024 * 1024);
    assertThat(defaults.getDiskReserveBytes().toBytes()).isEqualTo(1024L * 1024 * 1024);
    assertThat(defaults.getProxy().isEnabled()).isTrue();
    assertThat(defaults.getSupervisor().isEnabled()).isTrue();
    assertThat(defaults.getAdminToken()).isNull();
    assertThat(defaults.getMaxLoadedModels()).isEqualTo(1);
    assertThat(defaults.getMaxLoadedBytes()).as("no limit").isNull();
    assertThat(defaults.getMaxQueue()).isEqualTo(64);
    assertThat(defaults.getQueueTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.getKeepAlive()).as("-1s: never").isEqualTo(Duration.ofSeconds(-1));
    assertThat(defaults.getDefaultModel()).isNull();
  }

  @Test
  void capacityPropertiesBindFromTheServerJarsForms() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues(
            "shimmy.max-loaded-models=3",
            "shimmy.max-loaded-bytes=8GB",
            "shimmy.max-queue=0",
            "shimmy.queue-timeout=5s",
            "shimmy.keep-alive=0",
            "shimmy.default-model=alpha")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ShimmyProperties properties = context.getBean(ShimmyProperties.class);
              assertThat(properties.getMaxLoadedModels()).isEqualTo(3);
              assertThat(properties.getMaxLoadedBytes()).isEqualTo(DataSize.ofGigabytes(8));
              assertThat(properties.getMaxQueue()).isZero();
              assertThat(properties.getQueueTimeout()).isEqualTo(Duration.ofSeconds(5));
              assertThat(properties.getKeepAlive()).isEqualTo(Duration.ZERO);
              assertThat(properties.getDefaultModel()).isEqualTo("alpha");
            });
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("shimmy.keep-alive=-1")
        .run(
            context ->
                assertThat(context.getBean(ShimmyProperties.class).getKeepAlive())
                    .isEqualTo(Duration.ofSeconds(-1)));
  }

  @Test
  void theDefaultModelReachesTheProxysRouter() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("shimmy.default-model=alpha")
        .run(
            context ->
                assertThat(context.getBean(ModelRouter.class).defaultModel()).isEqualTo("alpha"));
  }

  @Test
  void maxLoadedModelsReachesTheSupervisor() throws Exception {
    FakeShimmy.writeGguf(modelDir.resolve("alpha.gguf"));
    FakeShimmy.writeGguf(modelDir.resolve("beta.gguf"));
    for (int capacity : new int[] {1, 2}) {
      runner()
          .withPropertyValues(
              "shimmy.shimmy-command=" + FakeShimmy.commandLine(),
              "shimmy.max-loaded-models=" + capacity)
          .run(
              context -> {
                ShimmySupervisor supervisor = context.getBean(ShimmySupervisor.class);
                supervisor.load("alpha", Duration.ofSeconds(60));
                supervisor.load("beta", Duration.ofSeconds(60));
                Await.until(
                    Duration.ofSeconds(30),
                    "at most " + capacity + " instances",
                    supervisor::instances,
                    instances -> instances.size() <= capacity);
                assertThat(supervisor.instances())
                    .as(
                        "instances running with capacity "
                            + capacity
                            + " (an evicted one is gone once drained)")
                    .extracting(i -> i.model())
                    .endsWith("beta")
                    .hasSize(capacity);
              });
    }
  }

  @Test
  void badCapacityPropertiesFailStartupNamingTheProperty() {
    for (String bad :
        new String[] {
          "shimmy.max-loaded-models=0",
          "shimmy.max-loaded-bytes=0B",
          "shimmy.max-queue=-1",
          "shimmy.queue-timeout=-5s"
        }) {
      String name = bad.substring(0, bad.indexOf('='));
      runner()
          .withUserConfiguration(UserBackend.class)
          .withPropertyValues(bad)
          .run(
              context ->
                  assertThat(context).getFailure().as(bad).rootCause().hasMessageContaining(name));
    }
  }

  @Test
  void theServiceVersionIsTheLibrarysAsInTheServerJar() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              String body = get(context.getBean(ShimmyHttpApi.class), "/").getContentAsString();

              assertThat(ShimmyComponents.version()).isNotEqualTo("unknown");
              assertThat(body).contains("\"version\":\"" + ShimmyComponents.version() + "\"");
            });
  }

  @Test
  void withTheProxyDisabledOnlyTheApisOwnPathsAreMountedAndTheApplicationKeepsTheRest() {
    webRunner()
        .withPropertyValues("shimmy.proxy.enabled=false")
        .run(
            context -> {
              ShimmyHandlerMapping mapping = context.getBean(ShimmyHandlerMapping.class);

              assertThat(mapping.getHandler(new MockHttpServletRequest("GET", "/v1/health")))
                  .isNotNull();
              assertThat(mapping.getHandler(new MockHttpServletRequest("POST", "/v1/api/pull")))
                  .isNotNull();
              assertThat(mapping.getHandler(new MockHttpServletRequest("GET", "/api/tags")))
                  .isNotNull();
              assertThat(mapping.getHandler(new MockHttpServletRequest("GET", "/index.html")))
                  .isNull();
              assertThat(
                      mapping.getHandler(
                          new MockHttpServletRequest("POST", "/v1/chat/completions")))
                  .isNull();
            });
    webRunner()
        .run(
            context ->
                assertThat(
                        context
                            .getBean(ShimmyHandlerMapping.class)
                            .getHandler(new MockHttpServletRequest("GET", "/index.html")))
                    .as("with the proxy on, every path is Shimmy's")
                    .isNotNull());
  }

  @Test
  void theDiskReserveAndTheShimmyUrlReachTheOptionsThePartsAreBuiltFrom() {
    runner()
        .withUserConfiguration(UserPuller.class)
        .withPropertyValues(
            "shimmy.disk-reserve-bytes=5GB",
            "shimmy.shimmy-url=http://127.0.0.1:9",
            "shimmy.max-body-bytes=1KB")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              ShimmyOptions options = context.getBean(ShimmyOptions.class);
              assertThat(options.diskReserveBytes()).isEqualTo(5L << 30);
              assertThat(options.maxBodyBytes()).isEqualTo(1024);
              assertThat(context.getBean(ShimmySupervisor.class))
                  .as("a shimmy-url alone fronts that Shimmy")
                  .isInstanceOf(ExternalShimmySupervisor.class);
            });
  }

  @Test
  void disablingTheProxyLeavesTheApiWithoutIt() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("shimmy.proxy.enabled=false")
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(ShimmyProxy.class);
              assertThat(context).hasSingleBean(ShimmyHttpApi.class);
            });
  }

  @Test
  void withTheSupervisorDisabledTheExternalShimmyIsFronted() {
    runner()
        .withUserConfiguration(UserPuller.class)
        .withPropertyValues(
            "shimmy.supervisor.enabled=false", "shimmy.shimmy-url=http://127.0.0.1:9")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(ExternalShimmySupervisor.class);
              assertThat(context.getBean(ExternalShimmySupervisor.class).baseUrl())
                  .isEqualTo(URI.create("http://127.0.0.1:9"));
            });
  }

  @Test
  void withTheSupervisorDisabledAndNoShimmyUrlStartupFailsNamingTheProperty() {
    runner()
        .withUserConfiguration(UserPuller.class)
        .withPropertyValues("shimmy.supervisor.enabled=false")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("shimmy.shimmy-url"));
  }

  @Test
  void theHealthIndicatorIsRegisteredAsShimmyWhenActuatorHealthIsPresent() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(ShimmyHealthIndicator.class);
              assertThat(context).hasBean("shimmyHealthIndicator");
              HealthIndicator indicator = context.getBean(ShimmyHealthIndicator.class);
              assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
              assertThat(indicator.health().getDetails()).containsEntry("state", "idle");
            });
  }

  @Test
  void theHealthIndicatorCanBeSwitchedOff() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withPropertyValues("management.health.shimmy.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(ShimmyHealthIndicator.class));
  }

  @Test
  void withoutActuatorHealthThereIsNoIndicatorButEverythingElse() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(ShimmyHealthIndicator.class);
              assertThat(context).hasSingleBean(ShimmyHttpApi.class);
            });
  }

  @Test
  void theEndpointsAreMountedInAServletWebApplicationUnderTheBasePath() {
    webRunner()
        .withPropertyValues("shimmy.base-path=shimmy/")
        .run(
            context -> {
              assertThat(context).hasSingleBean(ShimmyHandlerMapping.class);
              assertThat(context.getBean(ShimmyHandlerMapping.class).mountPrefix())
                  .isEqualTo("/shimmy");
            });
  }

  @Test
  void outsideAWebApplicationNothingIsMounted() {
    runner()
        .withUserConfiguration(UserBackend.class)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(ShimmyHandlerMapping.class);
              assertThat(context).hasSingleBean(PullCoordinator.class);
            });
  }

  @Test
  void withoutSpringMvcNothingIsMounted() {
    webRunner()
        .withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(ShimmyHandlerMapping.class);
              assertThat(context).hasSingleBean(ShimmyHttpApi.class);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class UserPuller {
    @Bean
    RecordingPuller userPuller() {
      return new RecordingPuller();
    }

    @Bean
    NoModels userLocalModels() {
      return new NoModels();
    }

    @Bean
    DiscoveryRunner userDiscovery() {
      return new ScanDiscoveryRunner();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserBackend extends UserPuller {
    @Bean
    RecordingSupervisor userSupervisor() {
      return new RecordingSupervisor();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserFrontEnd {
    static PullCoordinator coordinator;
    static final OkHttpClient client = new OkHttpClient();

    @Bean
    PullCoordinator userCoordinator(
        ModelPuller puller,
        DiscoveryRunner discovery,
        ShimmySupervisor supervisor,
        LocalModels models) {
      coordinator =
          PullCoordinator.builder()
              .modelDir(Path.of(System.getProperty("java.io.tmpdir"), "shimmy-user-coordinator"))
              .puller(puller)
              .discovery(discovery)
              .supervisor(supervisor)
              .localModels(models)
              .watch(false)
              .build();
      return coordinator;
    }

    @Bean
    ShimmyProxy userProxy(ShimmySupervisor supervisor) {
      return ShimmyProxy.builder().supervisor(supervisor).build();
    }

    @Bean
    ShimmyHttpApi userApi(PullCoordinator coordinator) {
      return ShimmyHttpApi.builder().coordinator(coordinator).build();
    }

    @Bean(name = "shimmyOkHttpClient")
    OkHttpClient userClient() {
      return client;
    }
  }
}
