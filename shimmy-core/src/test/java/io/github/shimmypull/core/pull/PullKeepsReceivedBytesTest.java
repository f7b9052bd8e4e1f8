package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import java.nio.file.Path;
import java.util.List;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fetcher fills its buffer only while the socket has bytes ready, and writes before it would
 * wait: every byte that arrived before the body broke off is on disk, so the retry continues
 * exactly where the body ended, not where the last full buffer did (a fetcher that always filled
 * its 256 KiB buffer resumes both at 262144).
 */
@Timeout(60)
class PullKeepsReceivedBytesTest {

  static final String REPO = "acme/tiny-GGUF";
  static final String Q4 = "tiny-Q4_K_M.gguf";

  @TempDir Path modelDir;
  HubFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void aTruncatedBodyIsResumedFromItsLastByte() throws Exception {
    assertResumedAt(HubFault.truncateAfter(300_001), 300_001);
  }

  @Test
  void aResetBodyIsResumedFromItsLastByte() throws Exception {
    assertResumedAt(HubFault.resetAfter(500_003), 500_003);
  }

  void assertResumedAt(HubFault fault, long at) throws Exception {
    fixture =
        new HubFixture(
            FakeHuggingFace.builder().file(REPO, Q4, FakeFile.seeded(1024 * 1024, 1)).build(),
            modelDir);
    fixture.hub.inject(REPO, Q4, fault, 1);

    fixture.puller().parts(1).build().pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(fixture.hub.sha256(REPO, Q4));
    List<RecordedRequest> downloads = fixture.hub.cdnDownloads();
    assertThat(downloads).hasSize(2);
    assertThat(downloads.get(1).getHeaders().get("Range"))
        .isEqualTo("bytes=" + at + "-" + (1024 * 1024 - 1));
  }
}
