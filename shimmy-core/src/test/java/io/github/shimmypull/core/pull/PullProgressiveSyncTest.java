package io.github.shimmypull.core.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.testkit.Await;
import io.github.shimmypull.testkit.FakeFile;
import io.github.shimmypull.testkit.FakeHuggingFace;
import io.github.shimmypull.testkit.HubFault;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progressive sync (issue 10): the partial is fsynced while it downloads, every {@code
 * syncEveryBytes}, not only once at the end. Observed through the {@code shimmy.pull.synced.bytes}
 * counter while the body is held back by a stalled CDN, so no timing is involved.
 */
@Timeout(90)
class PullProgressiveSyncTest {

  static final String REPO = "acme/tiny-GGUF";
  static final String Q4 = "tiny-Q4_K_M.gguf";
  static final int KIB = 1024;
  static final int MIB = 1024 * KIB;

  @TempDir Path modelDir;
  HubFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  HubFixture start() throws Exception {
    fixture =
        new HubFixture(
            FakeHuggingFace.builder().file(REPO, Q4, FakeFile.seeded(4 * MIB, 1)).build(),
            modelDir);
    return fixture;
  }

  @Test
  void thePartialIsFsyncedWhileTheBodyIsStillArriving() throws Exception {
    HubFixture f = start();
    f.hub.inject(REPO, Q4, HubFault.stallAfter(2 * MIB), 1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HuggingFacePuller puller =
        f.puller()
            .stallTimeout(Duration.ofSeconds(50))
            .parts(1)
            .syncEveryBytes(256 * KIB)
            .meterRegistry(meters)
            .build();
    PullCancellation cancellation = new PullCancellation();
    AtomicLong downloaded = new AtomicLong();

    CompletableFuture<PullResult> pull =
        CompletableFuture.supplyAsync(
            () ->
                puller.pull(
                    puller.prepare(ModelRef.parse(REPO), false),
                    event -> {
                      if (event instanceof PullEvent.Downloading d) {
                        downloaded.set(d.completed());
                      }
                    },
                    cancellation));

    Await.until("2 MiB arrived before the stall", () -> downloaded.get() >= 2 * MIB);
    Await.until("most of them were fsynced", () -> synced(meters) >= 2 * MIB - 256 * KIB);
    assertThat(pull).isNotDone();
    assertThat(downloaded.get()).isLessThan(4 * MIB);
    cancellation.cancel();
    assertThatThrownBy(pull::join)
        .hasCauseInstanceOf(PullException.class)
        .cause()
        .satisfies(e -> assertThat(((PullException) e).reason()).isEqualTo(Reason.CANCELLED));
  }

  @Test
  void syncEveryZeroLeavesTheFsyncToTheEnd() throws Exception {
    HubFixture f = start();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HuggingFacePuller puller = f.puller().parts(1).syncEveryBytes(0).meterRegistry(meters).build();

    puller.pull(ModelRef.parse(REPO), false, PullListener.NONE);

    assertThat(HubFixture.sha256(modelDir.resolve(Q4))).isEqualTo(f.hub.sha256(REPO, Q4));
    assertThat(synced(meters)).isZero();
  }

  static double synced(SimpleMeterRegistry meters) {
    return meters.get("shimmy.pull.synced.bytes").counter().count();
  }
}
