package io.github.shimmypull.core.internal;

import org.jspecify.annotations.Nullable;

/**
 * Reads a request's {@code Content-Length} header the one way: trimmed, a decimal that fits a long
 * (as {@link Long#parseLong}). What a missing or malformed header means is the caller's decision.
 */
public final class ContentLength {

  private ContentLength() {}

  /**
   * The value of a {@code Content-Length} header.
   *
   * @param header the header's value, null when absent
   * @param absent what a missing header means
   * @throws NumberFormatException when the value is not a decimal long
   */
  public static long parse(@Nullable String header, long absent) {
    return header == null ? absent : Long.parseLong(header.trim());
  }

  /**
   * The value of a {@code Content-Length} header, with {@code malformed} for a value that is not a
   * decimal long.
   */
  public static long parse(@Nullable String header, long absent, long malformed) {
    try {
      return parse(header, absent);
    } catch (NumberFormatException e) {
      return malformed;
    }
  }
}
