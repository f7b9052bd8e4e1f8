package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real disk-full mid-download: the model directory is on an 8 MiB tmpfs mounted by the test (CI
 * runs as root; without the right to mount, the test fails saying so, it never skips).
 */
@Timeout(120)
class PullOnFullDiskTest {

  static final String REPO = "acme/tiny-GGUF";
  static final String Q4 = "tiny-Q4_K_M.gguf";
  static final int MIB = 1024 * 1024;

  @TempDir Path tmp;

  @Test
  void aDiskThatFillsMidDownloadFailsWith507ShowsNoGgufAndResumesOnceSpaceIsBack()
      throws Exception {
    Path disk = Files.createDirectories(tmp.resolve("small-disk"));
    mountTmpfs(disk, "8m");
    try (HubFixture f =
        new HubFixture(
            FakeHuggingFace.builder()
                .file(REPO, Q4, FakeFile.seeded(6 * MIB, 1))
                .cdnBytesPerSecond(2 * MIB)
                .build(),
            disk.resolve("models"))) {
      HuggingFacePuller puller = f.puller().parts(1).build();
      PreparedPull prepared = puller.prepare(ModelRef.parse(REPO), false);
      Path filler = disk.resolve("filler");
      fill(filler, 4 * MIB);

      assertThatThrownBy(() -> puller.pull(prepared, PullListener.NONE, new PullCancellation()))
          .isInstanceOfSatisfying(
              PullException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_STORAGE);
                assertThat(e.reason().httpStatus()).isEqualTo(507);
                assertThat(e.getMessage()).contains("disk full");
              });
      assertThat(ggufFiles(f.modelDir)).isEmpty();
      assertThat(f.modelDir.resolve(".shimmy-pull/" + Q4 + ".part")).exists();

      Files.delete(filler);
      PreparedPull again = puller.prepare(ModelRef.parse(REPO), false);
      assertThat(again.bytesToDownload()).isPositive().isLessThan(6 * MIB);
      puller.pull(again, PullListener.NONE, new PullCancellation());

      assertThat(HubFixture.sha256(f.modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
      assertThat(ggufFiles(f.modelDir)).containsExactly(Q4);
      List<RecordedRequest> downloads = f.hub.cdnDownloads();
      assertThat(downloads.get(downloads.size() - 1).getHeaders().get("Range"))
          .isEqualTo("bytes=" + (6 * MIB - again.bytesToDownload()) + "-" + (6 * MIB - 1));
    } finally {
      unmount(disk);
    }
  }

  private static List<String> ggufFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf")).toList();
    }
  }

  private static void fill(Path file, int bytes) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(new byte[bytes]);
    }
  }

  private static void mountTmpfs(Path dir, String size) throws Exception {
    String output = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
    if (output != null) {
      fail(
          "cannot mount a "
              + size
              + " tmpfs at "
              + dir
              + " for the disk-full test: "
              + output
              + " (the test needs root or CAP_SYS_ADMIN, as in CI; run it as root or in `unshare -rm`)");
    }
  }

  private static void unmount(Path dir) throws Exception {
    if (run("umount", dir.toString()) != null) {
      run("umount", "-l", dir.toString());
    }
  }

  /** Runs a command; null when it exited 0, else its exit code and output. */
  private static String run(String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.toString();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "timed out";
    }
    return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }
}
