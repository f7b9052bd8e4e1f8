package io.github.shimmypull.server.javalin;

import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_FILE;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REF;
import static io.github.shimmypull.server.javalin.support.Hub.TINYLLAMA_REPO;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.coordinator.ModelDirectoryLock;
import io.github.shimmypull.server.javalin.support.ChildJvm;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.HubFault;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the command line says when something is off: usage errors, bad directories, interrupts. */
class CommandLineMessagesTest {

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
  void aMistypedOptionIsNamedWithTheCloseOneAndTheUsageOnStderr() {
    Run run = inProcess("--prot", "80");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("Unknown option: '--prot'", "Did you mean '--port'?", "Usage:")
        .doesNotContain("Possible solutions");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void anUnknownOptionOfACommandPrintsItsUsage() {
    Run run = inProcess("pull", "a/b:Q4_K_M", "--bogus");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("Unknown option: '--bogus'", "Usage: shimmy-server pull")
        .doesNotContain("Did you mean");
  }

  @Test
  void aMistypedCommandSuggestsTheCommandInAFewLines() {
    Run run = inProcess("pul", "acme/x-GGUF");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("Unknown command: 'pul'", "Did you mean 'pull'?", "Usage:");
    assertThat(run.err().lines().count()).isLessThan(15);
  }

  @Test
  void theTopLevelHelpListsEveryEnvironmentVariable() {
    Run help = inProcess("--help");

    assertThat(help.code()).isZero();
    assertThat(help.out())
        .contains(
            "SHIMMY_PULL_PROXY_ENGINE", "SHIMMY_PULL_MAX_BODY_BYTES", "HF_ENDPOINT", "HF_TOKEN");
  }

  @ParameterizedTest
  @ValueSource(strings = {"serve", "pull", "list"})
  void helpTextsNeverWrapInsideAPathOrAHost(String command) {
    Run help = inProcess(command, "--help");

    assertThat(help.out()).contains("./models");
    if (!command.equals("list")) {
      assertThat(help.out()).contains("https://huggingface.co");
    }
    if (command.equals("pull")) {
      assertThat(help.out())
          .contains("hf.co/owner/repo[:TAG]", "https://huggingface.co/owner/repo");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"list", "pull", "serve"})
  void aModelDirThatIsAFileIsSaidToBeNoDirectory(String command) throws Exception {
    Path file = Files.writeString(tmp.resolve("hostname"), "box\n");

    Run run =
        command.equals("pull")
            ? inProcess(
                "pull",
                TINYLLAMA_REF,
                "--model-dir",
                file.toString(),
                "--hf-endpoint",
                hub.endpoint())
            : command.equals("serve")
                ? inProcess(
                    "serve", "--port", "0", "--bind", "127.0.0.1", "--model-dir", file.toString())
                : inProcess("list", "--model-dir", file.toString());

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err().lines())
        .singleElement()
        .asString()
        .isEqualTo("error: model directory " + file.toAbsolutePath() + " is not a directory");
  }

  @Test
  void anUnwritableModelDirIsSaidToBeUnwritableWithTheCause() throws Exception {
    Path models = Files.createDirectories(tmp.resolve("models"));
    String cause;
    if (chattr("+i", models)) {
      cause = "operation not permitted"; // as root: an immutable directory
    } else {
      Files.writeString(models.resolve(".shimmy-pull"), "in the way");
      cause = "a file is in the way";
    }
    try {
      Run run =
          inProcess(
              "pull",
              TINYLLAMA_REF,
              "--model-dir",
              models.toString(),
              "--hf-endpoint",
              hub.endpoint());

      assertThat(run.code()).isEqualTo(1);
      assertThat(run.err().lines())
          .singleElement()
          .asString()
          .startsWith("error: model directory " + models.toAbsolutePath() + " is not writable: ")
          .containsAnyOf(cause, "permission denied");
    } finally {
      chattr("-i", models);
    }
    assertThat(hub.fake().cdnDownloads()).isEmpty();
  }

  @Test
  void theLockWaitNamesTheHolderInWords() throws Exception {
    Path models = tmp.resolve("models");
    ModelDirectoryLock lock = new ModelDirectoryLock(models);
    try (ModelDirectoryLock.Held held =
        lock.tryAcquire(Map.of("operation", "pull", "model", "acme/busy", "pid", 42))) {
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

      assertThat(busy.stdout())
          .contains("waiting for the model directory, busy with pull of acme/busy (pid 42")
          .doesNotContain("{")
          .doesNotContain("=");
      assertThat(busy.stderr()).doesNotContain("{");
    }
  }

  @Test
  void aPullWithoutModelDirSaysWhereTheFileWent() {
    ChildJvm.Result pulled =
        ChildJvm.run(tmp, Map.of(), "pull", TINYLLAMA_REF, "--hf-endpoint", hub.endpoint());

    assertThat(pulled.exitCode()).as(pulled.stderr()).isZero();
    assertThat(pulled.stdout())
        .contains(" in " + tmp.toAbsolutePath().normalize().resolve("models"));
  }

  @Test
  void ctrlCKeepsTheBytesSaysSoAndTheNextPullSaysItResumes() throws Exception {
    Path models = tmp.resolve("models");
    hub.fake().inject(TINYLLAMA_REPO, TINYLLAMA_FILE, HubFault.stallAfter(1024 * 1024), 1);
    try (ChildJvm pull =
        ChildJvm.start(
            tmp,
            Map.of(),
            "pull",
            TINYLLAMA_REF,
            "--model-dir",
            models.toString(),
            "--hf-endpoint",
            hub.endpoint())) {
      Await.until(
          Duration.ofSeconds(60),
          "the pull reports 33%",
          () -> pull.stdout().contains("downloading " + TINYLLAMA_FILE + ": 33%"));
      signal("INT", pull.process().pid());
      if (!pull.process().waitFor(5, TimeUnit.SECONDS)) {
        signal(
            "TERM",
            pull.process().pid()); // SIGINT is ignored when inherited so; TERM runs the same hook
      }
      ChildJvm.Result interrupted = pull.await(Duration.ofSeconds(30));

      assertThat(interrupted.exitCode()).isNotZero();
      assertThat(interrupted.stderr())
          .contains(
              "interrupted: kept ",
              " bytes of " + TINYLLAMA_FILE,
              "; run the same command to resume");
    }

    ChildJvm.Result resumed =
        ChildJvm.run(
            tmp,
            Map.of(),
            "pull",
            TINYLLAMA_REF,
            "--model-dir",
            models.toString(),
            "--hf-endpoint",
            hub.endpoint());

    assertThat(resumed.exitCode()).as(resumed.stderr()).isZero();
    assertThat(resumed.stdout())
        .contains("resuming " + TINYLLAMA_FILE + " from ", "kept by an earlier pull");
    assertThat(Files.size(models.resolve(TINYLLAMA_FILE))).isEqualTo(Hub.TINYLLAMA_SIZE);
  }

  private static void signal(String name, long pid) throws Exception {
    new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start().waitFor();
  }

  private static boolean chattr(String flag, Path dir) {
    try {
      Process p =
          new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
