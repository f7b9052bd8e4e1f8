package io.github.shimmypull.testkit;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The one way tests wait for something to happen: poll a condition, first every {@link
 * #FIRST_POLL_INTERVAL} and less often the longer it takes (at most every {@link
 * #MAX_POLL_INTERVAL}, so a slow condition such as an HTTP probe does not load a shared CPU), until
 * it holds or a deadline passes, then fail with what was awaited and the last value seen.
 *
 * <p>Tests never sleep a fixed time to prove that something happened; they await it. A condition
 * that throws {@link UncheckedIOException} counts as "not yet" (for example a server that is not
 * listening yet); any other exception fails the wait at once. Interruption fails the wait and keeps
 * the thread's interrupt flag.
 *
 * <pre>{@code
 * Await.until(Duration.ofSeconds(20), "every lease released", () -> supervisor.openLeases() == 0);
 * BackendState ready = Await.until(Duration.ofSeconds(60), "the supervisor is ready",
 *     supervisor::state, s -> s.status() == BackendStatus.READY);
 * }</pre>
 */
public final class Await {

  /**
   * The timeout of the overloads without one: 30 s, generous for a CPU shared with other builds.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The pause after the first check: 10 ms; each further pause doubles it. */
  public static final Duration FIRST_POLL_INTERVAL = Duration.ofMillis(10);

  /** The longest pause between two checks: 100 ms. */
  public static final Duration MAX_POLL_INTERVAL = Duration.ofMillis(100);

  private Await() {}

  /** Waits until {@code condition} holds, at most {@link #DEFAULT_TIMEOUT}. */
  public static void until(String what, BooleanSupplier condition) {
    until(DEFAULT_TIMEOUT, what, condition);
  }

  /**
   * Waits until {@code condition} holds, at most {@code timeout}.
   *
   * @throws AssertionError naming {@code what} when it still does not hold after {@code timeout}
   */
  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    Objects.requireNonNull(condition, "condition");
    until(timeout, what, condition::getAsBoolean, Boolean::booleanValue);
  }

  /**
   * Waits until {@code accept} holds for a value of {@code value}; returns that value. At most
   * {@link #DEFAULT_TIMEOUT}.
   */
  public static <T extends @Nullable Object> T until(
      String what, Supplier<T> value, Predicate<? super T> accept) {
    return until(DEFAULT_TIMEOUT, what, value, accept);
  }

  /**
   * Polls {@code value} until {@code accept} holds for what it returns, at most {@code timeout};
   * returns the accepted value.
   *
   * @throws AssertionError naming {@code what} and the last value seen when none was accepted in
   *     time
   */
  public static <T extends @Nullable Object> T until(
      Duration timeout, String what, Supplier<T> value, Predicate<? super T> accept) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(what, "what");
    long deadline = System.nanoTime() + timeout.toNanos();
    @Nullable Object last = "(never observed)";
    long pauseMillis = FIRST_POLL_INTERVAL.toMillis();
    while (true) {
      try {
        T observed = value.get();
        if (accept.test(observed)) {
          return observed;
        }
        last = observed;
      } catch (UncheckedIOException notYet) {
        last = notYet;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            "timed out after " + timeout + " awaiting " + what + "; last observed: " + last);
      }
      sleep(what, pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, MAX_POLL_INTERVAL.toMillis());
    }
  }

  /**
   * Waits until {@code latch} is open, at most {@code timeout}: for signals a test double gives (a
   * request arrived, a connection closed).
   *
   * @throws AssertionError naming {@code what} and the remaining count when it did not open in time
   */
  public static void until(Duration timeout, String what, CountDownLatch latch) {
    try {
      if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError(
            "timed out after "
                + timeout
                + " awaiting "
                + what
                + "; latch count "
                + latch.getCount());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted awaiting " + what, e);
    }
  }

  private static void sleep(String what, long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted awaiting " + what, e);
    }
  }
}
