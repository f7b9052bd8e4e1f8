package io.github.shimmypull.supervisor;

import java.time.Duration;
import java.util.List;

/**
 * The checks the supervisor's builders and {@link ShimmyOptions} make of their values, written once
 * so that a value is refused with the same words wherever it is set.
 */
final class Require {

  private Require() {}

  static int atLeastOne(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, not " + value);
    }
    return value;
  }

  static int notNegative(int value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative, not " + value);
    }
    return value;
  }

  static long notNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative, not " + value);
    }
    return value;
  }

  static long positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, not " + value);
    }
    return value;
  }

  static Duration notNegative(Duration value, String name) {
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
    return value;
  }

  static Duration positive(Duration value, String name) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
    return value;
  }

  /** A Shimmy command: an executable, then optional leading arguments. */
  static List<String> command(List<String> command) {
    if (command.isEmpty() || command.get(0).isBlank()) {
      throw new IllegalArgumentException("the shimmy command is empty");
    }
    return List.copyOf(command);
  }
}
