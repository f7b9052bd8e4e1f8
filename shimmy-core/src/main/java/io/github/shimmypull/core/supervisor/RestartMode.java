package io.github.shimmypull.core.supervisor;

import java.util.Locale;

/** How the supervisor restarts Shimmy to serve a new model set. */
public enum RestartMode {
  /** Start a second instance, await it ready, switch, drain and stop the old one (no downtime). */
  BLUE_GREEN,
  /** Stop, start, await ready (downtime while Shimmy starts). */
  IN_PLACE;

  /** The wire name: {@code blue-green} or {@code in-place}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses {@code blue-green} / {@code in-place} (case-insensitive, {@code _} accepted). */
  public static RestartMode parse(String text) {
    String normalised = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (RestartMode mode : values()) {
      if (mode.name().equals(normalised)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "restart mode must be blue-green or in-place, not '" + text + "'");
  }
}
