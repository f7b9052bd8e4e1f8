package io.github.shimmypull.examples.javalin;

import io.github.shimmypull.core.edge.ShimmyEdge;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.server.javalin.ShimmyPlugin;
import io.github.shimmypull.supervisor.ShimmyRuntime;
import io.javalin.Javalin;
import java.net.URI;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A Javalin application that serves its own route ({@code GET /hello}) plus, through {@link
 * ShimmyPlugin}, the pull API and the proxy to Shimmy. Settings come from the environment: {@code
 * MODEL_DIR}, {@code SHIMMY_COMMAND}, {@code HF_ENDPOINT}, {@code PORT}.
 */
public final class JavalinExampleApp {

  private JavalinExampleApp() {}

  public static void main(String[] args) {
    create(
            Path.of(System.getenv().getOrDefault("MODEL_DIR", "models")),
            System.getenv().getOrDefault("SHIMMY_COMMAND", "shimmy"),
            System.getenv("HF_ENDPOINT"))
        .start(Integer.parseInt(System.getenv().getOrDefault("PORT", "8080")));
  }

  /** The application, not started yet. */
  public static Javalin create(Path modelDir, String shimmyCommand, @Nullable String hfEndpoint) {
    return Javalin.create(
        config -> {
          config.routes.get("/hello", ctx -> ctx.result("hello from the application"));
          config.registerPlugin(
              new ShimmyPlugin(
                  shimmy -> {
                    shimmy.modelDir = modelDir;
                    shimmy.shimmyCommand = shimmyCommand;
                    shimmy.hfEndpoint = hfEndpoint;
                  }));
        });
  }

  /**
   * The same application behind a {@link ShimmyEdge}, the layout of the server jar: the edge owns
   * {@code host:port} and forwards plain proxied requests straight to Shimmy on Netty event loops
   * (no Jetty thread per request, see docs/benchmarks.md#proxy), while the app listens on a
   * loopback port and answers everything else. Its own routes must be listed in {@code
   * answeredByApp}, or the edge would send them to Shimmy while an instance is live.
   *
   * <p>The app builds the {@link ShimmyRuntime} itself, to hand its supervisor to the edge; a
   * runtime given to the plugin is served but neither started nor closed by it, so the returned
   * {@link AppBehindEdge} starts and closes it.
   */
  public static AppBehindEdge startBehindEdge(
      Path modelDir, String shimmyCommand, @Nullable String hfEndpoint, String host, int port) {
    ShimmyRuntime runtime =
        ShimmyRuntime.builder()
            .modelDir(modelDir)
            .shimmyCommand(shimmyCommand)
            .hfEndpoint(hfEndpoint)
            .build();
    Javalin app =
        Javalin.create(
                config -> {
                  config.routes.get("/hello", ctx -> ctx.result("hello from the application"));
                  config.registerPlugin(new ShimmyPlugin(shimmy -> shimmy.runtime = runtime));
                })
            .start("127.0.0.1", 0);
    ShimmyEdge edge =
        ShimmyEdge.builder()
            .supervisor(runtime.supervisor())
            .app(URI.create("http://127.0.0.1:" + app.port()))
            .answeredByApp(path -> ShimmyHttpApi.answersItself(path) || path.equals("/hello"))
            .host(host)
            .port(port)
            .build();
    AppBehindEdge running = new AppBehindEdge(runtime, app, edge);
    try {
      edge.start();
      runtime.start();
    } catch (RuntimeException e) {
      running.close();
      throw e;
    }
    return running;
  }

  /** The running parts of {@link #startBehindEdge}; {@link #close()} stops Shimmy too. */
  public record AppBehindEdge(ShimmyRuntime runtime, Javalin app, ShimmyEdge edge)
      implements AutoCloseable {

    /** Closes the edge first (no new requests), then the app, then the runtime (Shimmy). */
    @Override
    public void close() {
      try {
        edge.close();
        app.stop();
      } finally {
        runtime.close();
      }
    }
  }
}
