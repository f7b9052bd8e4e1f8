package io.github.shimmypull.server.javalin.internal;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the sizes users type on the command line: a number of bytes, or a number with a binary
 * unit: {@code 512MiB}, {@code 8GiB}, {@code 1TiB} ({@code K}, {@code M}, {@code G}, {@code T},
 * {@code KB}, {@code MB}, {@code GB}, {@code TB} mean the same powers of 1024, as in {@code -Xmx}).
 */
public final class Sizes {

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?");

  private Sizes() {}

  /** {@code bytes} as a user would type it: {@code 1GiB}, {@code 32MiB}, or a number of bytes. */
  public static String format(long bytes) {
    String[] units = {"TiB", "GiB", "MiB", "KiB"};
    int[] shifts = {40, 30, 20, 10};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << shifts[i];
      if (bytes != 0 && bytes % unit == 0) {
        return (bytes / unit) + units[i];
      }
    }
    return Long.toString(bytes);
  }

  /**
   * Parses {@code text} into a positive number of bytes.
   *
   * @throws IllegalArgumentException with a message naming the accepted forms
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || (m.group(2).isEmpty() && "ib".equals(m.group(3)))) {
      throw new IllegalArgumentException(
          "invalid size '" + text + "': use bytes or e.g. 512MiB, 8GiB");
    }
    int shift =
        switch (m.group(2)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size '" + text + "' is too large");
    }
    if (amount > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("size '" + text + "' is too large");
    }
    long bytes = amount << shift;
    if (bytes <= 0) {
      throw new IllegalArgumentException("size must be positive, not '" + text + "'");
    }
    return bytes;
  }
}
