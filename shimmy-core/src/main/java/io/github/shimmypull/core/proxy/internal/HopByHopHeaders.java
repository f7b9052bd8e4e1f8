package io.github.shimmypull.core.proxy.internal;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Decides which headers a proxy must not forward (RFC 9110 §7.6.1): the fixed hop-by-hop names and
 * any name listed in a {@code Connection} header. Checks are allocation-free for the common case.
 */
public final class HopByHopHeaders {

  private HopByHopHeaders() {}

  /**
   * True for the fixed hop-by-hop headers: {@code Connection}, {@code Keep-Alive}, every
   * {@code Proxy-*}, {@code TE}, {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade}.
   */
  public static boolean isHopByHop(String name) {
    switch (name.length()) {
      case 2:
        return name.equalsIgnoreCase("te");
      case 7:
        return name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
      case 10:
        return name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive")
            || startsWithProxy(name);
      case 17:
        return name.equalsIgnoreCase("transfer-encoding") || startsWithProxy(name);
      default:
        return startsWithProxy(name);
    }
  }

  private static boolean startsWithProxy(String name) {
    return name.length() > 6 && name.regionMatches(true, 0, "proxy-", 0, 6);
  }

  /**
   * The extra header names (lower case) that the {@code Connection} header values list, apart from
   * {@code close} and {@code keep-alive}; null when there are none (the common case).
   */
  public static @Nullable Set<String> listedInConnection(List<String> connectionValues) {
    Set<String> names = null;
    for (String value : connectionValues) {
      for (String token : value.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty() || name.equals("close") || name.equals("keep-alive")) {
          continue;
        }
        if (names == null) {
          names = new TreeSet<>();
        }
        names.add(name);
      }
    }
    return names;
  }

  /** True when {@code name} must not be forwarded, given the names listed in {@code Connection}. */
  public static boolean skip(String name, @Nullable Set<String> listed) {
    return isHopByHop(name) || (listed != null && listed.contains(name.toLowerCase(Locale.ROOT)));
  }
}
