package io.github.shimmypull.compat;

import io.github.shimmypull.server.javalin.ShimmyPlugin;
import io.github.shimmypull.server.javalin.ShimmyServer;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeShimmy;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A running shimmy-pull under test, either the server jar's front server (started in this JVM
 * exactly as {@code java -jar shimmy-server.jar serve ...} would) or a Javalin application with
 * {@link ShimmyPlugin}; both serve the fake Shimmy as a real child process and pull from the fake
 * Hub. Raw HTTP here is only for set-up and waiting; the tests talk through the real clients.
 */
final class ShimmyPull implements AutoCloseable {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final OkHttpClient HTTP =
      new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

  private final String url;
  private final Runnable stop;

  private ShimmyPull(String url, Runnable stop) {
    this.url = url;
    this.stop = stop;
  }

  /**
   * The fake Shimmy's command line, with {@code FAKE_SHIMMY_*} knobs set through {@code
   * /usr/bin/env}.
   */
  static String fakeShimmy(String... knobs) {
    return knobs.length == 0
        ? FakeShimmy.commandLine()
        : "/usr/bin/env " + String.join(" ", knobs) + " " + FakeShimmy.commandLine();
  }

  /**
   * {@code serve --port 0 --bind 127.0.0.1 --model-dir DIR --shimmy-command CMD --hf-endpoint HUB}.
   */
  static ShimmyPull serverJar(Path modelDir, FakeHub hub, String shimmyCommand) {
    ShimmyServer server =
        ShimmyServer.start(
            Map.of(),
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--model-dir",
            modelDir.toString(),
            "--shimmy-command",
            shimmyCommand,
            "--hf-endpoint",
            hub.endpoint(),
            "--ready-timeout",
            "60s");
    return new ShimmyPull("http://127.0.0.1:" + server.port(), server::close);
  }

  /** A Javalin application whose only shimmy-pull part is {@link ShimmyPlugin}. */
  static ShimmyPull javalinPlugin(Path modelDir, FakeHub hub, String shimmyCommand) {
    Javalin app =
        Javalin.create(
                config ->
                    config.registerPlugin(
                        new ShimmyPlugin(
                            shimmy -> {
                              shimmy.modelDir = modelDir;
                              shimmy.shimmyCommand = shimmyCommand;
                              shimmy.hfEndpoint = hub.endpoint();
                              shimmy.readyTimeout = Duration.ofSeconds(60);
                            })))
            .start("127.0.0.1", 0);
    return new ShimmyPull("http://127.0.0.1:" + app.port(), app::stop);
  }

  /** {@code http://127.0.0.1:PORT}: the Ollama clients' base URL. */
  String url() {
    return url;
  }

  /** {@code http://127.0.0.1:PORT/v1}: the OpenAI clients' base URL. */
  String openAiBaseUrl() {
    return url + "/v1";
  }

  /** A finished raw exchange. */
  record Reply(int status, String contentType, String body) {}

  Reply get(String path) {
    return call(new Request.Builder().url(url + path).build());
  }

  Reply post(String path, String json) {
    return call(new Request.Builder().url(url + path).post(RequestBody.create(json, JSON)).build());
  }

  private static Reply call(Request request) {
    try (Response response = HTTP.newCall(request).execute()) {
      return new Reply(
          response.code(), response.header("Content-Type", ""), response.body().string());
    } catch (IOException e) {
      throw new UncheckedIOException(request.method() + " " + request.url(), e);
    }
  }

  /**
   * Waits until {@code model} answers a chat that asks for JSON explicitly ({@code "stream":
   * false}), so that a test starts against a running Shimmy instance.
   */
  void awaitServing(String model) {
    String chat =
        "{\"model\":\""
            + model
            + "\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}";
    Await.until(
        Duration.ofSeconds(60),
        model + " served",
        () -> post("/v1/chat/completions", chat).status() == 200);
  }

  @Override
  public void close() {
    stop.run();
  }
}
