package io.github.shimmypull.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

  @Test
  void returnsAsSoonAsTheConditionHolds() {
    AtomicInteger polls = new AtomicInteger();

    Await.until(Duration.ofSeconds(5), "the third poll", () -> polls.incrementAndGet() == 3);

    assertThat(polls).hasValue(3);
  }

  @Test
  void returnsTheFirstAcceptedValue() {
    AtomicInteger counter = new AtomicInteger();

    int value =
        Await.until(Duration.ofSeconds(5), "a value over 4", counter::incrementAndGet, v -> v > 4);

    assertThat(value).isEqualTo(5);
  }

  @Test
  void failsWithWhatWasAwaitedAndTheLastObservedValue() {
    AtomicInteger counter = new AtomicInteger();

    assertThatThrownBy(
            () ->
                Await.until(
                    Duration.ofMillis(100),
                    "a negative count",
                    counter::incrementAndGet,
                    v -> v < 0))
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("timed out after PT0.1S awaiting a negative count; last observed: ")
        .hasMessageEndingWith(": " + counter.get());
  }

  @Test
  void anUncheckedIoExceptionCountsAsNotYetButOtherExceptionsFailAtOnce() {
    AtomicInteger polls = new AtomicInteger();

    Await.until(
        Duration.ofSeconds(5),
        "the server answers",
        () -> {
          if (polls.incrementAndGet() < 3) {
            throw new UncheckedIOException(new IOException("connection refused"));
          }
          return true;
        });
    assertThat(polls).hasValue(3);

    assertThatThrownBy(
            () ->
                Await.until(
                    Duration.ofSeconds(5),
                    "never",
                    () -> {
                      throw new IllegalStateException("broken double");
                    }))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void awaitsALatchAndNamesItWhenItStaysClosed() {
    CountDownLatch open = new CountDownLatch(1);
    open.countDown();
    Await.until(Duration.ofSeconds(5), "the open latch", open);

    assertThatThrownBy(
            () -> Await.until(Duration.ofMillis(50), "the upstream closed", new CountDownLatch(2)))
        .isInstanceOf(AssertionError.class)
        .hasMessage("timed out after PT0.05S awaiting the upstream closed; latch count 2");
  }

  @Test
  void failsWhenInterruptedAndKeepsTheInterruptFlag() {
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> Await.until(Duration.ofSeconds(5), "never", () -> false))
          .isInstanceOf(AssertionError.class)
          .hasMessage("interrupted awaiting never");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}
