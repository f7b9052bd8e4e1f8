package io.github.shimmypull.server.javalin.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations users type on the command line: {@code 120s}, {@code 2m}, {@code 1h}, {@code 500ms}, or ISO-8601 ({@code PT2M}). */
public final class Durations {

  private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

  private Durations() {}

  /**
   * Parses {@code text}; a bare number means seconds.
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  public static Duration parse(String text) {
    String trimmed = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(trimmed);
    Duration result;
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      result =
          switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
          };
    } else {
      try {
        result = Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "invalid duration '" + text + "': use e.g. 120s, 2m, 1h, 500ms or ISO-8601 PT2M");
      }
    }
    if (result.isNegative() || result.isZero()) {
      throw new IllegalArgumentException("duration must be positive, not '" + text + "'");
    }
    return result;
  }
}
