package io.github.shimmypull.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.spring.TestBackends.RecordingSupervisor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

class ShimmyHealthIndicatorTest {

  @Test
  void upWhileTheServiceCanTakeWork() {
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.READY, null)))
        .isEqualTo(Status.UP);
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.RESTARTING, null)))
        .isEqualTo(Status.UP);
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.IDLE, null)))
        .isEqualTo(Status.UP);
  }

  @Test
  void unknownWhileDegraded_startingBackingOffOrWithoutAShimmyExecutable() {
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.STARTING, null)))
        .isEqualTo(Status.UNKNOWN);
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.BACKING_OFF, null)))
        .isEqualTo(Status.UNKNOWN);
    assertThat(
            ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.UNAVAILABLE, "not found")))
        .isEqualTo(Status.UNKNOWN);
  }

  @Test
  void downWhenShimmyFailedForGoodAndOutOfServiceWhenStopped() {
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.FAILED, "crash loop")))
        .isEqualTo(Status.DOWN);
    assertThat(ShimmyHealthIndicator.statusOf(BackendState.of(BackendStatus.STOPPED, null)))
        .isEqualTo(Status.OUT_OF_SERVICE);
  }

  @Test
  void detailsCarryTheBackendState() {
    BackendState failed =
        new BackendState(
            BackendStatus.FAILED,
            4242L,
            41000,
            5,
            101,
            "Shimmy crashed 5 times in 60 s",
            List.of("a"),
            List.of());
    RecordingSupervisor supervisor =
        new RecordingSupervisor() {
          @Override
          public BackendState state() {
            return failed;
          }
        };

    Health health = new ShimmyHealthIndicator(supervisor).health();

    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails())
        .containsEntry("state", "failed")
        .containsEntry("pid", 4242L)
        .containsEntry("port", 41000)
        .containsEntry("restarts", 5)
        .containsEntry("lastExit", 101)
        .containsEntry("reason", "Shimmy crashed 5 times in 60 s")
        .containsEntry("models", List.of("a"));
  }
}
