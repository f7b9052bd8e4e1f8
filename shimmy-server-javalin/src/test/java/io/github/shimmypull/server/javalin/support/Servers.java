package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.server.javalin.ShimmyServer;
import io.github.shimmypull.supervisor.ShimmyRuntime;
import io.github.shimmypull.testkit.FakeShimmy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Starts the server jar's front server in this JVM, with the fake Shimmy as a real child process.
 */
public final class Servers {

  private Servers() {}

  /** The fake Shimmy's command line, with fault knobs set through {@code /usr/bin/env}. */
  public static String fakeShimmy(String... knobs) {
    if (knobs.length == 0) {
      return FakeShimmy.commandLine();
    }
    return "/usr/bin/env " + String.join(" ", knobs) + " " + FakeShimmy.commandLine();
  }

  /** Quick retries for tests: two attempts, 20 ms backoff, a 5 s stall timeout. */
  public static final Consumer<ShimmyRuntime.Builder> FAST_RETRIES =
      runtime ->
          runtime.pullerCustomizer(
              puller ->
                  puller
                      .maxAttempts(2)
                      .initialBackoff(Duration.ofMillis(20))
                      .maxBackoff(Duration.ofMillis(50))
                      .stallTimeout(Duration.ofSeconds(5))
                      .diskReserveBytes(0));

  /**
   * {@code serve --port 0 --bind 127.0.0.1 --model-dir DIR --shimmy-command CMD --hf-endpoint HUB
   * EXTRA...}.
   */
  public static ShimmyServer serve(Path modelDir, Hub hub, String shimmyCommand, String... extra) {
    return serve(modelDir, hub, shimmyCommand, FAST_RETRIES, extra);
  }

  public static ShimmyServer serve(
      Path modelDir,
      Hub hub,
      String shimmyCommand,
      Consumer<ShimmyRuntime.Builder> customizer,
      String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
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
                "60s"));
    args.addAll(List.of(extra));
    return ShimmyServer.start(Map.of(), customizer, args.toArray(String[]::new));
  }

  /** An API client for {@code server}. */
  public static Api api(ShimmyServer server) {
    return Api.at("http://127.0.0.1:" + server.port());
  }
}
