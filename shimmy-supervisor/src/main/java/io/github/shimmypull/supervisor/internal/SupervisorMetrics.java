package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.supervisor.BackendStatus;
import io.github.shimmypull.core.supervisor.InstanceState;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import io.github.shimmypull.supervisor.SupervisorEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The supervisor's meters on a registry (the supervisor itself knows no metrics library; {@code
 * ShimmyRuntime} binds this), every one tagged with the {@code model}:
 *
 * <ul>
 *   <li>{@code shimmy.instance.starts} (counter; tag {@code outcome} = success|failure, {@code
 *       reason} = the error or {@code none})
 *   <li>{@code shimmy.instance.cold.start} (timer) from launch to ready
 *   <li>{@code shimmy.instance.stops} (counter; tag {@code reason} = capacity|keep-alive|unload|
 *       removed|replaced|stop); {@code capacity} ones are the evictions
 *   <li>{@code shimmy.instance.crashes} (counter)
 *   <li>{@code shimmy.instance.liveness.misses} (counter)
 *   <li>{@code shimmy.queue.wait} (timer) for requests that waited for room and got it
 *   <li>{@code shimmy.queue.rejections} (counter; tag {@code reason} = queue-full|queue-timeout)
 *   <li>{@code shimmy.instances.loaded} (gauge, no model tag) running instances, and {@code
 *       shimmy.instances.degraded} (gauge) ready instances whose liveness probes are missing
 * </ul>
 */
public final class SupervisorMetrics implements SupervisorEvents {

  private final MeterRegistry registry;

  private SupervisorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Meters on {@code registry}. */
  public static SupervisorMetrics on(MeterRegistry registry) {
    return new SupervisorMetrics(registry);
  }

  /** Registers the gauges that read the supervisor's instances. */
  public void bindGauges(ShimmySupervisor supervisor) {
    Gauge.builder(
            "shimmy.instances.loaded",
            supervisor,
            s -> s.instances().stream().filter(i -> i.status() == BackendStatus.READY).count())
        .description("Ready Shimmy instances (one per model)")
        .strongReference(true)
        .register(registry);
    Gauge.builder(
            "shimmy.instances.degraded",
            supervisor,
            s -> s.instances().stream().filter(SupervisorMetrics::degraded).count())
        .description("Ready Shimmy instances that miss liveness probes")
        .strongReference(true)
        .register(registry);
  }

  private static boolean degraded(InstanceState i) {
    return i.reason() != null && i.reason().startsWith("degraded");
  }

  @Override
  public void instanceStarted(String model, Duration coldStart) {
    Counter.builder("shimmy.instance.starts")
        .description("Starts of per-model Shimmy instances")
        .tag("model", model)
        .tag("outcome", "success")
        .tag("reason", "none")
        .register(registry)
        .increment();
    Timer.builder("shimmy.instance.cold.start")
        .description("Time from launching an instance to it being ready")
        .tag("model", model)
        .register(registry)
        .record(coldStart);
  }

  @Override
  public void instanceStartFailed(String model, String reason) {
    Counter.builder("shimmy.instance.starts")
        .description("Starts of per-model Shimmy instances")
        .tag("model", model)
        .tag("outcome", "failure")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  @Override
  public void instanceStopped(String model, String why) {
    Counter.builder("shimmy.instance.stops")
        .description("Stops of instances by reason (capacity = evictions)")
        .tag("model", model)
        .tag("reason", why)
        .register(registry)
        .increment();
  }

  @Override
  public void instanceCrashed(String model, @Nullable Integer exitCode) {
    Counter.builder("shimmy.instance.crashes")
        .description("Unexpected exits (and liveness kills) of instances")
        .tag("model", model)
        .register(registry)
        .increment();
  }

  @Override
  public void livenessMissed(String model) {
    Counter.builder("shimmy.instance.liveness.misses")
        .description("Liveness probes (GET /health) without an answer in time")
        .tag("model", model)
        .register(registry)
        .increment();
  }

  @Override
  public void queueWaited(String model, Duration waited) {
    Timer.builder("shimmy.queue.wait")
        .description("Time requests waited in the queue for room")
        .tag("model", model)
        .register(registry)
        .record(waited);
  }

  @Override
  public void queueRejected(String model, String why) {
    Counter.builder("shimmy.queue.rejections")
        .description("Requests turned away with 503 overloaded")
        .tag("model", model)
        .tag("reason", why)
        .register(registry)
        .increment();
  }
}
