package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.pull.internal.PullStore;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull in a real child JVM is killed with SIGKILL mid-download; the next pull resumes its bytes.
 */
@Timeout(180)
class PullAfterKillTest {

  static final int MIB = 1024 * 1024;

  @TempDir Path modelDir;

  @Test
  void pullResumesTheBytesOfAProcessKilledMidDownload() throws Exception {
    try (HubFixture f =
        new HubFixture(
            FakeHuggingFace.builder()
                .file("a/big", "big-Q4_K_M.gguf", FakeFile.seeded(4 * MIB, 5))
                .build(),
            modelDir)) {
      f.hub.inject("a/big", "big-Q4_K_M.gguf", HubFault.stallAfter(2 * MIB), 1);
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb =
          new ProcessBuilder(
              java,
              "-cp",
              System.getProperty("java.class.path"),
              PullMain.class.getName(),
              "a/big:Q4_K_M",
              "--model-dir",
              modelDir.toString());
      pb.environment().put("HF_ENDPOINT", f.endpoint());
      pb.environment().remove("HF_TOKEN");
      pb.redirectErrorStream(true)
          .redirectOutput(modelDir.resolveSibling(modelDir.getFileName() + "-child.log").toFile());
      Process child = pb.start();
      PullStore store = new PullStore(modelDir);
      try {
        Await.until(
            Duration.ofSeconds(60),
            "the sidecar shows 2 MiB",
            () -> {
              assertThat(child.isAlive()).as("child still pulling").isTrue();
              return store
                  .readSidecar("big-Q4_K_M.gguf")
                  .map(PullStore.Sidecar::bytesDone)
                  .orElse(0L);
            },
            done -> done >= 2 * MIB);
      } finally {
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(modelDir.resolve("big-Q4_K_M.gguf")).doesNotExist();

      PullResult result =
          f.puller().build().pull(ModelRef.parse("a/big:Q4_K_M"), false, PullListener.NONE);

      assertThat(result.downloaded()).isTrue();
      assertThat(HubFixture.sha256(modelDir.resolve("big-Q4_K_M.gguf")))
          .isEqualTo(f.hub.sha256("a/big", "big-Q4_K_M.gguf"));
      List<RecordedRequest> downloads = f.hub.cdnDownloads();
      assertThat(downloads).hasSize(2);
      assertThat(downloads.get(1).getHeaders().get("Range"))
          .isEqualTo("bytes=" + 2 * MIB + "-" + (4 * MIB - 1));
      assertThat(Files.exists(store.sidecarPath("big-Q4_K_M.gguf"))).isFalse();
    }
  }
}
