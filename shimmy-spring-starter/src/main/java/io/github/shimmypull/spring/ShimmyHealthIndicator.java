package io.github.shimmypull.spring;

import io.github.shimmypull.core.supervisor.BackendState;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.ServiceHealth;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Actuator health of the Shimmy backend ({@code /actuator/health/shimmy}). UP while the service can
 * take work: Shimmy serves, restarts with the old instance still serving, or is idle with no model
 * yet; UNKNOWN while it starts or backs off after a crash; DOWN when it failed for good (crash
 * loop) or cannot be run; OUT_OF_SERVICE when stopped. Details: the backend state of {@code
 * /v1/health}.
 */
public final class ShimmyHealthIndicator extends AbstractHealthIndicator {

  private final ShimmySupervisor supervisor;

  public ShimmyHealthIndicator(ShimmySupervisor supervisor) {
    super("Shimmy health check failed");
    this.supervisor = supervisor;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    BackendState state = supervisor.state();
    builder.status(statusOf(state));
    builder.withDetail("state", state.status().wireName());
    builder.withDetail("models", state.models());
    builder.withDetail("restarts", state.restarts());
    if (state.pid() != null) {
      builder.withDetail("pid", state.pid());
    }
    if (state.port() != null) {
      builder.withDetail("port", state.port());
    }
    if (state.lastExit() != null) {
      builder.withDetail("lastExit", state.lastExit());
    }
    if (state.reason() != null) {
      builder.withDetail("reason", state.reason());
    }
  }

  /**
   * Spring's status for the one health policy ({@link ServiceHealth}) of {@code state}: UP, UNKNOWN
   * for degraded (both answer 200), DOWN, or OUT_OF_SERVICE when stopped on request (both 503).
   */
  static Status statusOf(BackendState state) {
    if (state.status() == BackendStatus.STOPPED) {
      return Status.OUT_OF_SERVICE;
    }
    return switch (ServiceHealth.of(state.status(), false)) {
      case OK -> Status.UP;
      case DEGRADED -> Status.UNKNOWN;
      case UNAVAILABLE -> Status.DOWN;
    };
  }
}
