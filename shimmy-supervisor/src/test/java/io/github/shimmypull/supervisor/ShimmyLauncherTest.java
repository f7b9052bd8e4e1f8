package io.github.shimmypull.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShimmyLauncherTest {

  @TempDir Path tmp;

  @Test
  void shimmySkipsHiddenAndSystemDirectoryNamesButNotModelsOrCache() {
    assertThat(ShimmyLauncher.shimmySkipsDirectory(tmp.resolve("tmp"))).isTrue();
    assertThat(ShimmyLauncher.shimmySkipsDirectory(tmp.resolve("opt"))).isTrue();
    assertThat(ShimmyLauncher.shimmySkipsDirectory(tmp.resolve(".models"))).isTrue();
    assertThat(ShimmyLauncher.shimmySkipsDirectory(tmp.resolve("models"))).isFalse();
    assertThat(ShimmyLauncher.shimmySkipsDirectory(tmp.resolve(".cache"))).isFalse();
  }

  @Test
  void theChildEnvironmentDropsModelRootVariablesAndUsesAPrivateHome() {
    Path dir = tmp.resolve("models");
    ShimmyLauncher launcher =
        ShimmyLauncher.newBuilder(List.of("shimmy"))
            .environment(
                Map.of(
                    "PATH", "/usr/bin",
                    "HOME", "/home/someone",
                    "SHIMMY_BASE_GGUF", "/x.gguf",
                    "SHIMMY_MODEL_PATHS", "/a;/b",
                    "OLLAMA_MODELS", "/o",
                    "SHIMMY_BIND_ADDRESS", "0.0.0.0:1",
                    "USERPROFILE", "C:\\Users\\x"))
            .putVariable("RUST_LOG", "info")
            .build();
    Map<String, String> env = launcher.environmentFor(dir);
    assertThat(env)
        .containsOnlyKeys("PATH", "HOME", "RUST_LOG")
        .containsEntry("HOME", dir.toAbsolutePath().resolve(".shimmy-pull/home").toString());
    ProcessBuilder pb =
        launcher.processBuilder(dir, ShimmyLauncher.serveArguments(4000, dir), false);
    assertThat(pb.command())
        .containsExactly(
            "shimmy",
            "serve",
            "--bind",
            "127.0.0.1:4000",
            "--model-dirs",
            dir.toAbsolutePath().toString());
    assertThat(pb.directory().toPath())
        .isEqualTo(dir.toAbsolutePath().resolve(".shimmy-pull/home"));
    assertThat(pb.directory()).isDirectory();
  }

  @Test
  void executableProblemsAreFoundOnPathOrAsFiles() {
    Path dir = tmp.resolve("models");
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    assertThat(ShimmyLauncher.newBuilder(List.of(java)).build().executableProblem(dir)).isEmpty();
    assertThat(
            ShimmyLauncher.newBuilder(List.of("/nonexistent/shimmy"))
                .build()
                .executableProblem(dir))
        .hasValueSatisfying(r -> assertThat(r).contains("not found"));
    ShimmyLauncher onPath =
        ShimmyLauncher.newBuilder(List.of("sh"))
            .environment(Map.of("PATH", "/bin:/usr/bin"))
            .build();
    assertThat(onPath.executableProblem(dir)).isEmpty();
    ShimmyLauncher missing =
        ShimmyLauncher.newBuilder(List.of("shimmy-nowhere"))
            .environment(Map.of("PATH", "/bin:/usr/bin"))
            .build();
    assertThat(missing.executableProblem(dir))
        .hasValueSatisfying(r -> assertThat(r).contains("PATH"));
  }

  @Test
  void cliDiscoveryReportsAFailingListCommand() {
    ShimmyLauncher launcher =
        ShimmyLauncher.newBuilder(List.of("/bin/sh", "-c", "echo boom >&2; exit 3", "x")).build();
    assertThatThrownBy(
            () ->
                new CliDiscoveryRunner(launcher, Duration.ofSeconds(30)).discover(tmp.resolve("m")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("exited with code 3")
        .hasMessageContaining("boom");
  }
}
