package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_ID;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REF;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.coordinator.ModelDirectoryLock;
import io.github.shimmypull.server.javalin.support.ChildJvm;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server jar's command line: exit codes, output, environment variables; pull and list in a
 * child JVM.
 */
class CommandLineTest {

  @TempDir Path tmp;
  private Hub hub;

  @BeforeEach
  void hub() {
    hub = Hub.start();
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private record Run(int code, String out, String err) {}

  private static Run inProcess(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ShimmyServer.execute(
            args,
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpAndVersionExitZeroAndUsageErrorsExitTwoWithTheUsageOnStderr() {
    Run help = inProcess("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out())
        .contains(
            "serve",
            "pull",
            "list",
            "SHIMMY_PULL_MODEL_DIR",
            "SHIMMY_PULL_ADMIN_TOKEN",
            "HF_TOKEN");
    Run serveHelp = inProcess("serve", "--help");
    assertThat(serveHelp.code()).isZero();
    assertThat(serveHelp.out())
        .contains(
            "--port",
            "--bind",
            "--model-dir",
            "--shimmy-command",
            "--hf-endpoint",
            "--hf-token",
            "--admin-token",
            "--restart-mode",
            "--ready-timeout",
            "--pull",
            "SHIMMY_PULL_PORT");
    Run version = inProcess("--version");
    assertThat(version.code()).isZero();
    assertThat(version.out()).startsWith("shimmy-server ").contains(ShimmyServer.version());

    Run unknown = inProcess("--no-such-option");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown option: '--no-such-option'", "Usage:");
    assertThat(unknown.out()).isEmpty();
    assertThat(inProcess("pull").code()).isEqualTo(2);
    assertThat(inProcess("pull", "a/b:Q2_K", "--bogus").code()).isEqualTo(2);
    assertThat(inProcess("--ready-timeout", "soon").code()).isEqualTo(2);
  }

  @Test
  void serveExitsOneWithOneErrorLineWhenADeclaredModelCannotBePulled() {
    Path models = tmp.resolve("models");

    Run serve =
        inProcess(
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--model-dir",
            models.toString(),
            "--shimmy-command",
            Servers.fakeShimmy(),
            "--hf-endpoint",
            hub.endpoint(),
            "--pull",
            "acme/missing-GGUF:Q4_K_M");

    assertThat(serve.code()).isEqualTo(1);
    assertThat(serve.err().lines())
        .singleElement()
        .asString()
        .startsWith("error: preload of acme/missing-GGUF:Q4_K_M failed");
    assertThat(models).isDirectory();
  }

  @Test
  void pullDownloadsWithProgressLinesThenFindsItPresentAndListShowsIt() throws Exception {
    Path models = tmp.resolve("models");

    ChildJvm.Result pulled =
        ChildJvm.run(
            tmp,
            Map.of(),
            "pull",
            TINYLLAMA_REF,
            "--model-dir",
            models.toString(),
            "--hf-endpoint",
            hub.endpoint());

    assertThat(pulled.exitCode()).as(pulled.stderr()).isZero();
    assertThat(pulled.stderr()).isEmpty();
    assertThat(pulled.stdout())
        .contains("downloading " + TINYLLAMA_FILE + ": 100% (")
        .doesNotContain("\r");
    assertThat(pulled.stdout()).contains("pulled " + TINYLLAMA_ID + ": " + TINYLLAMA_FILE);
    assertThat(Files.size(models.resolve(TINYLLAMA_FILE))).isEqualTo(Hub.TINYLLAMA_SIZE);

    Map<String, String> env =
        Map.of("SHIMMY_PULL_MODEL_DIR", models.toString(), "HF_ENDPOINT", hub.endpoint());
    ChildJvm.Result again = ChildJvm.run(tmp, env, "pull", TINYLLAMA_REF);
    assertThat(again.exitCode()).as(again.stderr()).isZero();
    assertThat(again.stdout()).contains("already present " + TINYLLAMA_ID);
    assertThat(hub.fake().cdnDownloads()).hasSize(1);

    ChildJvm.Result listed = ChildJvm.run(tmp, env, "list");
    assertThat(listed.exitCode()).isZero();
    assertThat(listed.stdout()).isEqualTo(TINYLLAMA_ID + "\t" + TINYLLAMA_FILE + "\t3.0 MiB\n");
  }

  @Test
  void pullWaitsForTheModelDirectoryLockAndGivesUpAfterTheWait() throws Exception {
    Path models = tmp.resolve("models");
    ModelDirectoryLock lock = new ModelDirectoryLock(models);
    try (ModelDirectoryLock.Held held =
        lock.tryAcquire(Map.of("operation", "pull", "model", "acme/busy"))) {
      assertThat(held).isNotNull();

      ChildJvm.Result busy =
          ChildJvm.run(
              tmp,
              Map.of(),
              "pull",
              TINYLLAMA_REF,
              "--model-dir",
              models.toString(),
              "--hf-endpoint",
              hub.endpoint(),
              "--lock-wait",
              "1s");

      assertThat(busy.exitCode()).isEqualTo(1);
      assertThat(busy.stderr().lines())
          .singleElement()
          .asString()
          .startsWith("error: the model directory")
          .contains("acme/busy");
      assertThat(busy.stdout()).contains("waiting for the model directory");
    }
    assertThat(hub.fake().cdnDownloads()).isEmpty();
    assertThat(models.resolve(TINYLLAMA_FILE)).doesNotExist();
  }

  @Test
  void aFailedPullExitsOneWithExactlyOneErrorLineAndLogsOnlyWhenVerbose() {
    Path models = tmp.resolve("models");

    ChildJvm.Result missing =
        ChildJvm.run(
            tmp,
            Map.of(),
            "pull",
            "acme/missing-GGUF:Q4_K_M",
            "--model-dir",
            models.toString(),
            "--hf-endpoint",
            hub.endpoint());

    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.stderr()).startsWith("error: ").contains("acme/missing-GGUF").endsWith("\n");
    assertThat(missing.stderr().lines()).hasSize(1);

    ChildJvm.Result verbose =
        ChildJvm.run(
            tmp,
            Map.of(),
            "pull",
            "acme/missing-GGUF:Q4_K_M",
            "--model-dir",
            models.toString(),
            "--hf-endpoint",
            hub.endpoint(),
            "--verbose");
    assertThat(verbose.exitCode()).isEqualTo(1);
    assertThat(verbose.stderr().lines().count()).isGreaterThan(1);
    assertThat(verbose.stderr()).contains("error: ");

    ChildJvm.Result badRef =
        ChildJvm.run(tmp, Map.of(), "pull", "../../etc/passwd", "--model-dir", models.toString());
    assertThat(badRef.exitCode()).isEqualTo(1);
    assertThat(badRef.stderr().lines()).singleElement().asString().startsWith("error: ");

    ChildJvm.Result usage = ChildJvm.run(tmp, Map.of(), "pull", "--model-dir");
    assertThat(usage.exitCode()).isEqualTo(2);
    assertThat(usage.stderr()).contains("Usage:");
  }
}
