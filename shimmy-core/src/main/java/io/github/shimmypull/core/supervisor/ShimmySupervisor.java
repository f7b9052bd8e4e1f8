package io.github.shimmypull.core.supervisor;

import io.github.shimmypull.core.discovery.DiscoveredModel;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The Shimmy backend: one Shimmy instance per model (Shimmy 2.5.0 pins the first model it loads for
 * the life of its process), started on demand within a capacity, replaced blue-green when its files
 * change, and stopped by us. Every request is answered by the model it names: callers lease the
 * instance of that model with {@link #acquire(String, Duration)}.
 *
 * <p>Implemented by {@code ProcessShimmySupervisor} in shimmy-supervisor (child processes) and by
 * adapters for an externally managed Shimmy.
 */
public interface ShimmySupervisor extends AutoCloseable {

  /**
   * Starts the backend if the model directory holds a model (otherwise the state becomes {@link
   * BackendStatus#IDLE}); returns without waiting for readiness. Idempotent.
   */
  void start();

  /**
   * Restarts Shimmy so that it serves {@code expectedIds}, and waits until the live instance lists
   * them (blue-green: the old instance serves until the new one is ready). Starts Shimmy when it
   * was idle. With an empty set, stops serving (idle).
   *
   * @throws SupervisorException when the new instance does not come up in {@code timeout}; in
   *     blue-green mode the old instance keeps serving
   */
  void restart(Collection<String> expectedIds, Duration timeout);

  /**
   * The model directory changed (a pull, a delete, a file copied in or removed): discovers it
   * again. A running instance whose model's files changed is replaced blue-green (the old one
   * drains); a running instance whose model is gone is drained and stopped; instances of other
   * models are not touched. Then each model in {@code warm} is made answerable: it must be
   * discovered, and it is started and awaited ready when there is room without stopping a busy
   * instance.
   *
   * @throws SupervisorException MODEL_NOT_FOUND when a model in {@code warm} is not discovered;
   *     READY_TIMEOUT, EXITED, ... when a replacement or warm start did not come up in {@code
   *     timeout} (a replaced instance's old process keeps serving)
   */
  default void refresh(Collection<String> warm, Duration timeout) {
    restart(warm, timeout);
  }

  /** The models this backend can serve now (the last discovery of the directory), sorted by id. */
  default List<DiscoveredModel> models() {
    return state().models().stream().map(id -> new DiscoveredModel(id, List.of(), -1)).toList();
  }

  /** The running (or starting) instances, sorted by model id. */
  default List<InstanceState> instances() {
    return List.of();
  }

  /** The current state: the aggregate of every instance. */
  BackendState state();

  /** Adds a listener called on every state change (on a supervisor thread; keep it quick). */
  void addListener(Consumer<BackendState> listener);

  /**
   * Leases the instance that serves {@code model} for one request, starting it when it is not
   * running (within the capacity: the least-recently-used idle instance is stopped to make room; a
   * request that must wait for room waits in a bounded queue), waiting up to {@code wait}.
   *
   * @throws SupervisorException MODEL_NOT_FOUND when the model is not in the directory (nothing is
   *     started); OVERLOADED when the queue is full or the wait ended while queued; NO_BACKEND,
   *     EXECUTABLE_NOT_FOUND, FAILED, EXITED, READY_TIMEOUT when its instance cannot serve
   */
  default Lease acquire(String model, Duration wait) {
    return acquire(wait);
  }

  /**
   * Leases the instance of {@code model} only when it is ready now; never blocks and never starts
   * anything (the non-blocking edge calls it on its event loops).
   *
   * @return the lease, or null when no ready instance of {@code model} runs
   */
  default @Nullable Lease tryAcquire(String model) {
    try {
      return acquire();
    } catch (SupervisorException e) {
      return null;
    }
  }

  /**
   * Leases any ready instance (the most recently used) for a request that names no model, such as
   * {@code GET /health}; never starts one.
   *
   * @throws SupervisorException NO_BACKEND when none is ready
   */
  Lease acquire();

  /**
   * Leases any instance, waiting up to {@code wait} while one is starting.
   *
   * @throws SupervisorException NO_BACKEND when none became ready in time
   */
  Lease acquire(Duration wait);

  /**
   * Starts (loads) the instance of {@code model} and waits until it is ready, making room as a
   * request would. Idempotent.
   *
   * @throws SupervisorException as {@link #acquire(String, Duration)}
   */
  default void load(String model, Duration timeout) {
    acquire(model, timeout).close();
  }

  /**
   * Drains and stops (unloads) the instance of {@code model}, waiting for its requests in flight.
   *
   * @return false when no instance of it ran
   */
  default boolean unload(String model) {
    return false;
  }

  /** Stops every instance (SIGTERM, grace, SIGKILL, descendants too). Idempotent. */
  void stop();

  @Override
  default void close() {
    stop();
  }
}
