package io.github.shimmypull.server.javalin;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.testkit.FakeShimmy;
import io.javalin.Javalin;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin in a real Javalin app, serving a plain handler that echoes what it was given. */
class ShimmyPluginTest {

  private final HttpClient client = HttpClient.newHttpClient();
  private Javalin app;

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
  }

  /** Answers {@code METHOD PATH?QUERY body-length} as text. */
  private static final HttpHandler ECHO =
      exchange -> {
        byte[] body = exchange.requestBody().readAllBytes();
        exchange.status(200);
        exchange.addResponseHeader("Content-Type", "text/plain");
        String query = exchange.rawQuery() == null ? "" : "?" + exchange.rawQuery();
        try (OutputStream out = exchange.responseBody()) {
          out.write(
              (exchange.method() + " " + exchange.path() + query + " " + body.length)
                  .getBytes(StandardCharsets.UTF_8));
        }
      };

  private String start(Consumer<ShimmyPlugin.Config> plugin) {
    app =
        Javalin.create(
                config -> {
                  config.startup.showJavalinBanner = false;
                  config.routes.get("/hello", ctx -> ctx.result("mine"));
                  config.routes.post("/v1/chat/completions", ctx -> ctx.result("my chat"));
                  config.registerPlugin(new ShimmyPlugin(plugin));
                })
            .start("127.0.0.1", 0);
    return "http://127.0.0.1:" + app.port();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void userRoutesWinAndEverythingElseReachesTheHandler() throws Exception {
    String base = start(shimmy -> shimmy.handler = ECHO);

    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/hello"))).body()).isEqualTo("mine");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")))
                .body())
        .isEqualTo("my chat");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/models?x=1"))).body())
        .isEqualTo("GET /v1/models?x=1 0");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/"))).body()).isEqualTo("GET / 0");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/v1/api/pull"))
                    .POST(HttpRequest.BodyPublishers.ofString("12345")))
                .body())
        .isEqualTo("POST /v1/api/pull 5");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/v1/api/models/a.b-c")).DELETE()).body())
        .isEqualTo("DELETE /v1/api/models/a.b-c 0");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/any/deep/path"))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("xy")))
                .body())
        .isEqualTo("PATCH /any/deep/path 2");
  }

  @Test
  void basePathMountsUnderAPrefixAndHidesIt() throws Exception {
    String base =
        start(
            shimmy -> {
              shimmy.handler = ECHO;
              shimmy.basePath = "/shimmy/";
            });

    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/shimmy/v1/health"))).body())
        .isEqualTo("GET /v1/health 0");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/shimmy/v1/models"))).body())
        .isEqualTo("GET /v1/models 0");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/shimmy"))).body())
        .isEqualTo("GET / 0");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))).statusCode())
        .isEqualTo(404);
  }

  @Test
  void withoutTheProxyOnlyTheApiPathsAreMounted() throws Exception {
    String base =
        start(
            shimmy -> {
              shimmy.handler = ECHO;
              shimmy.proxyEnabled = false;
            });

    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/health"))).body())
        .isEqualTo("GET /v1/health 0");
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))).statusCode())
        .isEqualTo(404);
    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/api/tags"))).body())
        .isEqualTo("GET /api/tags 0");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/api/pull"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")))
                .body())
        .isEqualTo("POST /api/pull 2");
    assertThat(
            send(HttpRequest.newBuilder(URI.create(base + "/api/delete"))
                    .method("DELETE", HttpRequest.BodyPublishers.ofString("{}")))
                .body())
        .isEqualTo("DELETE /api/delete 2");
  }

  @Test
  void streamedLinesArriveUncompressedBeforeTheHandlerHasFinished() throws Exception {
    CountDownLatch firstLineSeen = new CountDownLatch(1);
    HttpHandler streaming =
        exchange -> {
          exchange.status(200);
          exchange.addResponseHeader("Content-Type", "application/x-ndjson");
          OutputStream out = exchange.responseBody();
          out.write("{\"status\":\"starting\"}\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          try {
            if (!firstLineSeen.await(20, TimeUnit.SECONDS)) {
              throw new java.io.IOException("the client never saw the first line");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          out.write("{\"status\":\"complete\"}\n".getBytes(StandardCharsets.UTF_8));
          out.close();
        };
    String base = start(shimmy -> shimmy.handler = streaming);

    HttpResponse<java.io.InputStream> response =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/api/pull"))
                .header("Accept-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertThat(reader.readLine()).isEqualTo("{\"status\":\"starting\"}");
      firstLineSeen.countDown();
      assertThat(reader.readLine()).isEqualTo("{\"status\":\"complete\"}");
    }
    assertThat(response.headers().firstValue("Content-Encoding")).isEmpty();
  }

  @Test
  void theDefaultModelSettingReachesTheRuntimeThePluginBuilds(@TempDir Path modelDir) {
    ShimmyPlugin plugin =
        new ShimmyPlugin(
            shimmy -> {
              shimmy.modelDir = modelDir;
              shimmy.shimmyCommand = FakeShimmy.commandLine();
              shimmy.maxLoadedModels = 2;
              shimmy.maxLoadedBytes = 8L << 30;
              shimmy.maxQueue = 5;
              shimmy.queueTimeout = Duration.ofSeconds(3);
              shimmy.keepAlive = Duration.ZERO;
              shimmy.defaultModel = "alpha";
            });
    app =
        Javalin.create(
                config -> {
                  config.startup.showJavalinBanner = false;
                  config.registerPlugin(plugin);
                })
            .start("127.0.0.1", 0);

    assertThat(plugin.runtime()).isNotNull();
    assertThat(plugin.runtime().defaultModel()).isEqualTo("alpha");
  }
}
