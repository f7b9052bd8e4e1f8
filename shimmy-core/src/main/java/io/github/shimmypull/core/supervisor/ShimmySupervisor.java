package io.github.shimmypull.core.supervisor;

import java.time.Duration;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * A Shimmy backend: started, restarted to serve a new model set, and stopped by us. Implemented by
 * {@code ProcessShimmySupervisor} in shimmy-supervisor (a child process) and by adapters for an
 * externally managed Shimmy.
 */
public interface ShimmySupervisor extends AutoCloseable {

  /**
   * Starts the backend if the model directory holds a model (otherwise the state becomes
   * {@link BackendStatus#IDLE}); returns without waiting for readiness. Idempotent.
   */
  void start();

  /**
   * Restarts Shimmy so that it serves {@code expectedIds}, and waits until the live instance lists
   * them (blue-green: the old instance serves until the new one is ready). Starts Shimmy when it was
   * idle. With an empty set, stops serving (idle).
   *
   * @throws SupervisorException when the new instance does not come up in {@code timeout}; in
   *     blue-green mode the old instance keeps serving
   */
  void restart(Collection<String> expectedIds, Duration timeout);

  /** The current state. */
  BackendState state();

  /** Adds a listener called on every state change (on a supervisor thread; keep it quick). */
  void addListener(Consumer<BackendState> listener);

  /**
   * Leases the live instance for one request.
   *
   * @throws SupervisorException NO_BACKEND when no instance is ready
   */
  Lease acquire();

  /**
   * Leases the live instance, waiting up to {@code wait} for one while a start or restart is in
   * progress.
   *
   * @throws SupervisorException NO_BACKEND when none became ready in time
   */
  Lease acquire(Duration wait);

  /** Stops every instance (SIGTERM, grace, SIGKILL, descendants too). Idempotent. */
  void stop();

  @Override
  default void close() {
    stop();
  }
}
