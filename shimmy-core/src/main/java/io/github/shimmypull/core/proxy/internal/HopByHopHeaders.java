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
   * True for the fixed hop-by-hop headers: {@code Connection}, {@code Keep-Alive}, every {@code
   * Proxy-*}, {@code TE}, {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade}. Takes any
   * {@link CharSequence}, so Netty's header names are checked without a copy.
   */
  public static boolean isHopByHop(CharSequence name) {
    switch (name.length()) {
      case 2:
        return startsWithIgnoreCase(name, "te");
      case 7:
        return startsWithIgnoreCase(name, "trailer") || startsWithIgnoreCase(name, "upgrade");
      case 10:
        return startsWithIgnoreCase(name, "connection")
            || startsWithIgnoreCase(name, "keep-alive")
            || startsWithProxy(name);
      case 17:
        return startsWithIgnoreCase(name, "transfer-encoding") || startsWithProxy(name);
      default:
        return startsWithProxy(name);
    }
  }

  private static boolean startsWithProxy(CharSequence name) {
    return name.length() > 6 && startsWithIgnoreCase(name, "proxy-");
  }

  /** ASCII case-insensitive prefix test against a lower-case {@code prefix}. */
  private static boolean startsWithIgnoreCase(CharSequence name, String prefix) {
    if (name.length() < prefix.length()) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
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
