package io.github.shimmypull.examples.javalin;

import io.github.shimmypull.server.javalin.ShimmyPlugin;
import io.javalin.Javalin;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A Javalin application that serves its own route ({@code GET /hello}) plus, through {@link
 * ShimmyPlugin}, the pull API and the proxy to Shimmy. Settings come from the environment:
 * {@code MODEL_DIR}, {@code SHIMMY_COMMAND}, {@code HF_ENDPOINT}, {@code PORT}.
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
}
