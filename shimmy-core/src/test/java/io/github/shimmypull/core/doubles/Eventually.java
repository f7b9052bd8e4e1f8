package io.github.shimmypull.core.doubles;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition with a generous deadline instead of sleeping a fixed time. */
public final class Eventually {

  private Eventually() {}

  public static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }
}
