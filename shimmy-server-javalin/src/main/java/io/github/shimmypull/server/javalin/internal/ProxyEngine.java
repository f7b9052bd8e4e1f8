package io.github.shimmypull.server.javalin.internal;

import java.util.Locale;

/** What serves the server jar's port: {@code --proxy-engine}. */
public enum ProxyEngine {
  /**
   * {@code ShimmyEdge} (Netty, non-blocking) on the port: proxied requests go straight to Shimmy,
   * everything else to the Javalin app on a loopback port. The default.
   */
  NETTY,
  /**
   * The Javalin app on the port itself: every request on a Jetty thread, proxied through OkHttp.
   */
  JAVALIN;

  /** {@code netty} or {@code javalin}, any case. */
  public static ProxyEngine parse(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "netty" -> NETTY;
      case "javalin" -> JAVALIN;
      default ->
          throw new IllegalArgumentException(
              "unknown proxy engine '" + value + "': expected netty or javalin");
    };
  }

  /** The name on the command line. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
