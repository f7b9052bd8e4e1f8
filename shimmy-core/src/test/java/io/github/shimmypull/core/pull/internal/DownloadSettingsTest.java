package io.github.shimmypull.core.pull.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DownloadSettingsTest {

  static DownloadSettings settings(
      int connections, long partSize, Duration tick, long syncEveryBytes) {
    return new DownloadSettings(connections, partSize, tick, syncEveryBytes, null, null, null);
  }

  @Test
  void nonsensicalSettingsAreRejectedBeforeAnyDownloadStarts() {
    assertThatThrownBy(() -> settings(0, 1, Duration.ZERO, 0)).hasMessageContaining("connections");
    assertThatThrownBy(() -> settings(1, 0, Duration.ZERO, 0)).hasMessageContaining("partSize");
    assertThatThrownBy(() -> settings(1, 1, Duration.ofMillis(-1), 0)).hasMessageContaining("tick");
    assertThatThrownBy(() -> settings(1, 1, Duration.ZERO, -1))
        .hasMessageContaining("syncEveryBytes");
  }

  @Test
  void theWaitBetweenProgressChecksIsTheTickWithinOneToAHundredMilliseconds() {
    assertThat(settings(1, 1, Duration.ZERO, 0).waitMillis()).isEqualTo(1);
    assertThat(settings(1, 1, Duration.ofMillis(40), 0).waitMillis()).isEqualTo(40);
    assertThat(settings(1, 1, Duration.ofSeconds(2), 0).waitMillis()).isEqualTo(100);
  }

  @Test
  void aFreshPlanIsOnePartUnlessTheFileIsLargerThanAPartAndConnectionsAllowMore() {
    assertThat(PartPlan.fresh(10, 1, 4)).hasSize(1);
    assertThat(PartPlan.fresh(4, 4, 4)).hasSize(1);
    assertThat(PartPlan.fresh(10, 4, 4))
        .extracting(PullStore.Part::end)
        .containsExactly(3L, 7L, 9L);
    assertThat(PartPlan.coversFile(PartPlan.fresh(10, 4, 4), 10)).isTrue();
    assertThat(PartPlan.coversFile(PartPlan.fresh(10, 4, 4), 11)).isFalse();
  }
}
