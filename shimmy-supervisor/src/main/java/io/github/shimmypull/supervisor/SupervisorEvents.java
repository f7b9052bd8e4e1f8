package io.github.shimmypull.supervisor;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link ProcessShimmySupervisor} reports for metrics, per model: instance starts (with the
 * cold-start time), evictions, crashes, missed liveness probes, queue waits and queue rejections.
 * The supervisor itself has no metrics library; {@link ShimmyRuntime} binds these to its meter
 * registry. Called on supervisor threads: keep implementations quick and non-blocking. Every method
 * does nothing by default.
 */
public interface SupervisorEvents {

  /** Does nothing. */
  SupervisorEvents NONE = new SupervisorEvents() {};

  /** An instance of {@code model} became ready {@code coldStart} after its launch. */
  default void instanceStarted(String model, Duration coldStart) {}

  /** A start of {@code model}'s instance failed; {@code reason} is the error code. */
  default void instanceStartFailed(String model, String reason) {}

  /**
   * An instance of {@code model} was stopped: {@code why} is {@code capacity} (room for another
   * model), {@code keep-alive} (idle too long), {@code unload}, {@code removed} (its model left the
   * directory), {@code replaced} (blue-green after its files changed) or {@code stop}.
   */
  default void instanceStopped(String model, String why) {}

  /**
   * An instance of {@code model} exited unexpectedly (or was killed after missed liveness probes).
   */
  default void instanceCrashed(String model, @Nullable Integer exitCode) {}

  /** A liveness probe of {@code model}'s instance got no answer in time. */
  default void livenessMissed(String model) {}

  /** A request for {@code model} waited {@code waited} in the queue for room and then got it. */
  default void queueWaited(String model, Duration waited) {}

  /**
   * A request for {@code model} was turned away: {@code why} is {@code queue-full} or {@code
   * queue-timeout}.
   */
  default void queueRejected(String model, String why) {}
}
