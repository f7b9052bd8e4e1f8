package io.github.shimmypull.spring.internal;

import io.github.shimmypull.core.http.ForwardingHttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.github.shimmypull.supervisor.ShimmyOptions;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.web.HttpRequestHandler;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Hands every request under the mount prefix to core's HTTP API. Ordered after the application's
 * own mappings (controllers, router functions, view controllers) and before Spring's static
 * resource mapping, whose {@code /**} would otherwise answer 404 for every proxied path. No Spring
 * MVC interceptor or CORS processing applies: like every other request, a CORS preflight goes to
 * core (and from there to Shimmy, which answers it), so both adapters behave the same.
 */
public final class ShimmyHandlerMapping implements HandlerMapping, Ordered {

  /** After every application mapping, before the resource handler mapping at LOWEST - 1. */
  public static final int ORDER = Ordered.LOWEST_PRECEDENCE - 20;

  private final String mountPrefix;
  private final boolean catchAll;
  private final HttpRequestHandler handler;

  /** A catch-all mapping for a server that does not compress responses. */
  public ShimmyHandlerMapping(String basePath, HttpHandler api) {
    this(basePath, api, false, true);
  }

  /**
   * A catch-all mapping; see {@link #ShimmyHandlerMapping(String, HttpHandler, boolean, boolean)}.
   */
  public ShimmyHandlerMapping(String basePath, HttpHandler api, boolean serverCompresses) {
    this(basePath, api, serverCompresses, true);
  }

  /**
   * @param basePath the prefix to mount under, normalised by {@link #normaliseBasePath}
   * @param api the handler answering every request under the prefix
   * @param serverCompresses whether {@code server.compression.enabled} is on: compression is then
   *     turned off for these responses so streamed chunks are not held back
   * @param catchAll whether every path under the prefix is handed to the API (the proxy is on);
   *     false: only the paths the API answers itself ({@link ShimmyHttpApi#answersItself}), and the
   *     application keeps the others (its 404, its static resources)
   */
  public ShimmyHandlerMapping(
      String basePath, HttpHandler api, boolean serverCompresses, boolean catchAll) {
    this.mountPrefix = normaliseBasePath(basePath);
    this.catchAll = catchAll;
    this.handler =
        (request, response) ->
            api.handle(
                ForwardingHttpExchange.belowPrefix(
                    new ServletHttpExchange(request, response, serverCompresses), mountPrefix));
  }

  /** {@code ""}, {@code "/"} → {@code ""}; {@code "shimmy/"} → {@code "/shimmy"}. */
  public static String normaliseBasePath(String basePath) {
    return ShimmyOptions.normaliseBasePath(basePath);
  }

  /** The normalised mount prefix. */
  public String mountPrefix() {
    return mountPrefix;
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public @Nullable HandlerExecutionChain getHandler(HttpServletRequest request) {
    String uri = request.getRequestURI().substring(request.getContextPath().length());
    String below;
    if (mountPrefix.isEmpty()) {
      below = uri;
    } else if (uri.equals(mountPrefix) || uri.startsWith(mountPrefix + "/")) {
      below = uri.substring(mountPrefix.length());
    } else {
      return null;
    }
    if (catchAll || ShimmyHttpApi.answersItself(below.isEmpty() ? "/" : below)) {
      return new HandlerExecutionChain(handler);
    }
    return null;
  }
}
