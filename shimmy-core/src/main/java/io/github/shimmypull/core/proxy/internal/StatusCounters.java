package io.github.shimmypull.core.proxy.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The {@code shimmy.proxy.requests} counter by response status, registered lazily and cached per
 * status so counting costs one array read and one increment. Shared by the blocking proxy and the
 * edge, so both count into the same meters.
 */
public final class StatusCounters {

  private final @Nullable MeterRegistry registry;
  private final String name;
  private final AtomicReferenceArray<Counter> counters = new AtomicReferenceArray<>(600);

  /** Counts into {@code registry} (nothing when null) under the meter {@code name}. */
  public StatusCounters(@Nullable MeterRegistry registry, String name) {
    this.registry = registry;
    this.name = name;
  }

  /** Counts one response with {@code status}; statuses outside 0..599 are ignored. */
  public void count(int status) {
    MeterRegistry meters = registry;
    if (meters == null || status < 0 || status >= counters.length()) {
      return;
    }
    Counter counter = counters.get(status);
    if (counter == null) {
      counter =
          Counter.builder(name)
              .description("Requests forwarded to Shimmy, by response status")
              .tag("status", Integer.toString(status))
              .register(meters);
      counters.set(status, counter);
    }
    counter.increment();
  }
}
