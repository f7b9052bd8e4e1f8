package io.github.shimmypull.supervisor.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.supervisor.SupervisorException;
import io.github.shimmypull.supervisor.ShimmyLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Shimmy command that exits at once says where it ran, so a relative path in it can be fixed. */
class ShimmyProcessExitTest {

  @TempDir Path tmp;

  @Test
  void aCommandThatExitsAtOnceNamesTheDirectoryItRanInAndHowRelativePathsResolve()
      throws Exception {
    Path modelDir = tmp.resolve("models");
    ShimmyLauncher launcher =
        ShimmyLauncher.newBuilder(
                List.of("/bin/sh", "-c", "echo 'cannot open lib/fake.jar' >&2; exit 1", "x"))
            .build();
    ProcessBuilder builder = launcher.processBuilder(modelDir, List.of(), false);
    ShimmyProcess process = ShimmyProcess.launch(builder, 1, 20, false);
    OkHttpClient http = new OkHttpClient();
    try {
      assertThatThrownBy(
              () ->
                  process.awaitReady(
                      http,
                      List.of("a"),
                      Duration.ofSeconds(20),
                      Duration.ofMillis(50),
                      () -> false,
                      null))
          .isInstanceOf(SupervisorException.class)
          .hasMessageContaining("exited with code 1")
          .hasMessageContaining("cannot open lib/fake.jar")
          .hasMessageContaining(
              "it ran in " + modelDir.toAbsolutePath().resolve(".shimmy-pull/home"))
          .hasMessageContaining("relative paths in the Shimmy command resolve from there");
    } finally {
      http.dispatcher().executorService().shutdown();
    }
  }
}
