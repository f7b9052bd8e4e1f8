package io.github.shimmypull.core.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The coordinator's meters, or nothing when no registry is configured.
 *
 * <ul>
 *   <li>{@code shimmy.pulls} (counter; tags {@code outcome} = success|failure|cancelled, {@code
 *       reason} = the error code or {@code none})
 *   <li>{@code shimmy.pull.duration} (timer; tag {@code outcome}) from request to served
 *   <li>{@code shimmy.pull.phase.duration} (timer; tag {@code phase} =
 *       resolve|download|discover|serve)
 *   <li>{@code shimmy.refreshes} (counter; tags {@code trigger} = pull|delete|reconcile, {@code
 *       outcome})
 *   <li>{@code shimmy.backend.state} (gauge; tag {@code state}; 1 for the current state, else 0)
 *   <li>{@code shimmy.pull.active} (gauge; 1 while a pull runs)
 * </ul>
 *
 * <p>Downloaded bytes are not counted here: {@code HuggingFacePuller} counts them as {@code
 * shimmy.pull.bytes} on the same registry.
 */
public final class PullMetrics {

  private final @Nullable MeterRegistry registry;

  private PullMetrics(@Nullable MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters on {@code registry}; with null, every method does nothing. */
  public static PullMetrics of(@Nullable MeterRegistry registry) {
    return new PullMetrics(registry);
  }

  /** Registers the gauges that read the supervisor's state and whether a pull runs. */
  public void bindGauges(ShimmySupervisor supervisor, BooleanSupplier pullActive) {
    if (registry == null) {
      return;
    }
    for (BackendStatus status : BackendStatus.values()) {
      Gauge.builder("shimmy.backend.state", supervisor, s -> s.state().status() == status ? 1 : 0)
          .description("1 for the backend's current state, 0 for the others")
          .tag("state", status.wireName())
          .strongReference(true)
          .register(registry);
    }
    Gauge.builder("shimmy.pull.active", pullActive, active -> active.getAsBoolean() ? 1 : 0)
        .description("1 while a pull runs on this model directory")
        .strongReference(true)
        .register(registry);
  }

  /** Counts a finished pull, successful when {@code failure} is null. */
  public void pullEnded(@Nullable PullException failure, Duration elapsed) {
    if (registry == null) {
      return;
    }
    String outcome =
        failure == null
            ? "success"
            : failure.reason() == PullException.Reason.CANCELLED ? "cancelled" : "failure";
    String reason = failure == null ? "none" : failure.reason().code();
    Counter.builder("shimmy.pulls")
        .description("Pulls by outcome and reason")
        .tag("outcome", outcome)
        .tag("reason", reason)
        .register(registry)
        .increment();
    Timer.builder("shimmy.pull.duration")
        .description("Time from request to the live Shimmy serving the model")
        .tag("outcome", outcome)
        .register(registry)
        .record(elapsed);
  }

  /** Records how long one phase of a pull took. */
  public void phase(String phase, Duration elapsed) {
    if (registry == null) {
      return;
    }
    Timer.builder("shimmy.pull.phase.duration")
        .description("Duration of one phase of a pull")
        .tag("phase", phase)
        .register(registry)
        .record(elapsed);
  }

  /** Counts a refresh of the supervisor the coordinator asked for. */
  public void refresh(String trigger, boolean succeeded) {
    if (registry == null) {
      return;
    }
    Counter.builder("shimmy.refreshes")
        .description(
            "Refreshes of the Shimmy instances asked for by pulls, deletes and the directory watcher")
        .tag("trigger", trigger)
        .tag("outcome", succeeded ? "success" : "failure")
        .register(registry)
        .increment();
  }
}
