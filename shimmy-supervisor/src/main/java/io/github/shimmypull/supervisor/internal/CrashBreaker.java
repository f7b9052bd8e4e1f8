package io.github.shimmypull.supervisor.internal;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The crash-loop breaker of one model: counts its crashes (a start that failed, an exit after it
 * became ready, a kill after missed liveness probes) within a sliding window. Becoming ready does
 * not reset it, so a Shimmy that crashes right after each start still opens it (issue 10 item 10).
 * Kept per model by the pool, so it outlives an eviction of the instance. Guarded by the pool lock.
 */
final class CrashBreaker {

  private final int limit;
  private final long windowNanos;
  private final Deque<Long> crashes = new ArrayDeque<>();

  CrashBreaker(int limit, long windowNanos) {
    this.limit = limit;
    this.windowNanos = windowNanos;
  }

  /** Records a crash now; returns how many fall within the window (this one included). */
  int record(long nowNanos) {
    crashes.addLast(nowNanos);
    return recent(nowNanos);
  }

  /** Crashes within the window ending now. */
  int recent(long nowNanos) {
    while (!crashes.isEmpty() && nowNanos - crashes.peekFirst() > windowNanos) {
      crashes.removeFirst();
    }
    return crashes.size();
  }

  /** Whether {@code recent} crashes open the breaker. */
  boolean opens(int recent) {
    return recent >= limit;
  }
}
