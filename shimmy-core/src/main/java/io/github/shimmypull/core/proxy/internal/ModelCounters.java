package io.github.shimmypull.core.proxy.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * The {@code shimmy.proxy.model.requests} counter: routed requests forwarded to an instance, by
 * model, registered lazily and cached per model. Shared by the blocking proxy and the edge.
 */
public final class ModelCounters {

  /** The meter name. */
  public static final String NAME = "shimmy.proxy.model.requests";

  private final @Nullable MeterRegistry registry;
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

  /** Counts into {@code registry} (nothing when null). */
  public ModelCounters(@Nullable MeterRegistry registry) {
    this.registry = registry;
  }

  /** Counts one routed request forwarded to the instance of {@code model}. */
  public void count(String model) {
    MeterRegistry meters = registry;
    if (meters == null) {
      return;
    }
    counters
        .computeIfAbsent(
            model,
            id ->
                Counter.builder(NAME)
                    .description("Routed requests forwarded to the Shimmy instance of a model")
                    .tag("model", id)
                    .register(meters))
        .increment();
  }
}
