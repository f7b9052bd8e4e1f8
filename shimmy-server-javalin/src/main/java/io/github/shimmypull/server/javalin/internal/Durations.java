package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.supervisor.ShimmyOptions;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations users type on the command line: {@code 120s}, {@code 2m}, {@code 1h}, {@code
 * 500ms}, or ISO-8601 ({@code PT2M}).
 */
public final class Durations {

  /** The keep-alive meaning never: {@code -1s}. */
  public static final Duration NEVER = ShimmyOptions.KEEP_ALIVE_NEVER;

  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

  private Durations() {}

  /**
   * Parses {@code text}; a bare number means seconds.
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  public static Duration parse(String text) {
    Duration result = parseAny(text);
    if (result.isNegative() || result.isZero()) {
      throw new IllegalArgumentException("duration must be positive, not '" + text + "'");
    }
    return result;
  }

  /**
   * Parses {@code text} as {@link #parse} does, and also {@code 0} (in any unit).
   *
   * @throws IllegalArgumentException for anything else, negative durations included
   */
  public static Duration parseNonNegative(String text) {
    Duration result = text.trim().startsWith("-") ? Duration.ofSeconds(-1) : parseAny(text);
    if (result.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative, not '" + text + "'");
    }
    return result;
  }

  /**
   * Parses a keep-alive: {@code -1} (any negative value) means never and becomes {@link #NEVER};
   * {@code 0} means as soon as idle; otherwise as {@link #parse}.
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  public static Duration parseKeepAlive(String text) {
    String trimmed = text.trim();
    if (trimmed.startsWith("-")) {
      Duration magnitude;
      try {
        magnitude = parseAny(trimmed.substring(1));
      } catch (IllegalArgumentException e) {
        magnitude = Duration.ZERO;
      }
      if (magnitude.isZero() || magnitude.isNegative()) {
        throw new IllegalArgumentException(
            "invalid keep-alive '" + text + "': use -1 (never), 0 (stop when idle) or e.g. 5m");
      }
      return NEVER;
    }
    return parseNonNegative(trimmed);
  }

  /** {@code d} as a user would type it: {@code 2h}, {@code 5m}, {@code 120s}, {@code 500ms}. */
  public static String format(Duration d) {
    long millis = d.toMillis();
    if (millis % 1000 != 0) {
      return millis + "ms";
    }
    long seconds = millis / 1000;
    if (seconds != 0 && seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    }
    if (seconds != 0 && seconds % 60 == 0 && seconds >= 600) {
      return seconds / 60 + "m";
    }
    return seconds + "s";
  }

  private static Duration parseAny(String text) {
    String trimmed = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(trimmed);
    if (m.matches()) {
      long amount;
      try {
        amount = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("duration '" + text + "' is too long");
      }
      String unit = m.group(2) == null ? "s" : m.group(2);
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofSeconds(amount);
      };
    }
    try {
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "invalid duration '" + text + "': use e.g. 120s, 2m, 1h, 500ms or ISO-8601 PT2M");
    }
  }
}
