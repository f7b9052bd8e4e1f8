package io.github.shimmypull.core.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServiceHealthTest {

  @Test
  void okWhileModelsAreServedOrCanBeStartedOnDemand() {
    assertThat(ServiceHealth.of(BackendStatus.READY, false)).isEqualTo(ServiceHealth.OK);
    assertThat(ServiceHealth.of(BackendStatus.IDLE, false)).isEqualTo(ServiceHealth.OK);
    assertThat(ServiceHealth.of(BackendStatus.RESTARTING, false)).isEqualTo(ServiceHealth.OK);
    assertThat(ServiceHealth.OK.httpStatus()).isEqualTo(200);
  }

  @Test
  void degradedButStill200WhileStartingBackingOffOrWithoutTheExecutable() {
    assertThat(ServiceHealth.of(BackendStatus.STARTING, false)).isEqualTo(ServiceHealth.DEGRADED);
    assertThat(ServiceHealth.of(BackendStatus.BACKING_OFF, false))
        .isEqualTo(ServiceHealth.DEGRADED);
    assertThat(ServiceHealth.of(BackendStatus.UNAVAILABLE, false))
        .isEqualTo(ServiceHealth.DEGRADED);
    assertThat(ServiceHealth.DEGRADED.httpStatus()).isEqualTo(200);
    assertThat(ServiceHealth.DEGRADED.wireName()).isEqualTo("degraded");
  }

  @Test
  void unavailableWith503WhenFailedStoppedOrClosing() {
    assertThat(ServiceHealth.of(BackendStatus.FAILED, false)).isEqualTo(ServiceHealth.UNAVAILABLE);
    assertThat(ServiceHealth.of(BackendStatus.STOPPED, false)).isEqualTo(ServiceHealth.UNAVAILABLE);
    assertThat(ServiceHealth.of(BackendStatus.READY, true)).isEqualTo(ServiceHealth.UNAVAILABLE);
    assertThat(ServiceHealth.UNAVAILABLE.httpStatus()).isEqualTo(503);
  }
}
