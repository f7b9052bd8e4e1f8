package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import io.github.shimmypull.supervisor.ShimmyOptions;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin building its own runtime inside a user's Javalin app. */
class PluginRuntimeTest {

  @TempDir Path tmp;

  @Test
  void theConfigsFieldsStartAtTheDefaultsOfShimmyOptionsAndConvertIntoThem() {
    ShimmyPlugin.Config config = new ShimmyPlugin.Config();

    assertThat(config.toOptions()).usingRecursiveComparison().isEqualTo(ShimmyOptions.defaults());

    config.pull = List.of("acme/tiny-GGUF:Q4_K_M");
    config.shimmyUrl = URI.create("http://127.0.0.1:11435");
    config.diskReserveBytes = 0;
    config.basePath = "ai/";
    ShimmyOptions options = config.toOptions();
    assertThat(options.pull()).containsExactly("acme/tiny-GGUF:Q4_K_M");
    assertThat(options.shimmyUrl()).isEqualTo(URI.create("http://127.0.0.1:11435"));
    assertThat(options.diskReserveBytes()).isZero();
    assertThat(options.basePath()).isEqualTo("/ai");
  }

  @Test
  void theAppsRoutesCoexistWithThePluginWhichStartsAndStopsShimmyWithTheServer() throws Exception {
    Path modelDir = tmp.resolve("models");
    FakeShimmy.writeGguf(modelDir.resolve("phi-2.Q4_K_M.gguf"), 4096);
    long pid;
    try (Hub hub = Hub.start()) {
      Javalin app =
          Javalin.create(
              config -> {
                config.startup.showJavalinBanner = false;
                config.routes.get("/hello", ctx -> ctx.result("mine"));
                config.registerPlugin(
                    new ShimmyPlugin(
                        shimmy -> {
                          shimmy.modelDir = modelDir;
                          shimmy.shimmyCommand = Servers.fakeShimmy();
                          shimmy.hfEndpoint = hub.endpoint();
                          shimmy.basePath = "/ai";
                          shimmy.maxBodyBytes = 1000;
                        }));
              });
      try {
        app.start("127.0.0.1", 0);
        Api api = Api.at("http://127.0.0.1:" + app.port());

        assertThat(api.get("/hello").body()).isEqualTo("mine");
        Await.until(
            Duration.ofSeconds(60),
            "Shimmy ready",
            () ->
                api.get("/ai/v1/health")
                    .json()
                    .path("backend")
                    .path("state")
                    .asString()
                    .equals("ready"));
        assertThat(api.get("/ai/v1/models").body()).contains("phi-2.q4-k-m");
        assertThat(api.get("/ai/v1/api/models").body()).contains("phi-2.q4-k-m");
        assertThat(api.get("/ai/v1/api/metrics").body()).contains("shimmy_backend_state");
        assertThat(api.get("/v1/models").status()).isEqualTo(404);
        Api.Reply oversize =
            api.postJson("/ai/v1/chat/completions", "\"" + "x".repeat(1000) + "\"");
        assertThat(oversize.status()).isEqualTo(413);
        assertThat(oversize.code()).isEqualTo("payload_too_large");
        pid = api.get("/ai/v1/health").json().path("backend").path("pid").asLong();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
      } finally {
        app.stop();
      }
    }
    Await.until(
        Duration.ofSeconds(30),
        "Shimmy stopped with the server",
        () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    assertThat(List.of(pid)).isNotEmpty();
  }
}
