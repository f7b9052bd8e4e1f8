package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.http.RequestPaths;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;

/**
 * Admission of a request head at the edge: the status of a head the decoder could not read, the
 * body limit of its route (the API's, enforced before anything is forwarded), its declared length,
 * and whether it may go straight to Shimmy or must go to the application.
 */
final class RequestAdmission {

  private static final AsciiString H2C = AsciiString.cached("h2c");

  private RequestAdmission() {}

  /** Why a malformed head is refused: 414, 431 or 400, with its message. */
  record Refusal(int status, String message) {}

  static Refusal malformed(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return new Refusal(414, "request line too long");
    }
    if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      return new Refusal(431, "request headers too large");
    }
    return new Refusal(400, "malformed HTTP request");
  }

  /**
   * The API's body limit for the route of a request with {@code method} and {@code path} (its
   * target without the query; checked by RequestRefusal).
   */
  static long bodyLimit(String method, String path, EdgeSettings settings) {
    if (path.isEmpty() || path.charAt(0) != '/') {
      return settings.maxDirectBodyBytes();
    }
    return ShimmyHttpApi.bodyLimit(
        method,
        RequestPaths.normalize(path),
        settings.maxRequestBytes(),
        settings.maxDirectBodyBytes());
  }

  /** The declared {@code Content-Length}, 0 without one, -1 when it is not a number. */
  static long declaredLength(HttpRequest request) {
    try {
      return HttpUtil.getContentLength(request, 0L);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The target without its query. */
  static String path(String uri) {
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  /**
   * True when the request may go straight to Shimmy: origin-form and canonical target, a path the
   * application does not answer itself, no {@code Expect}, no chunked body, no upgrade other than
   * WebSocket or an ignorable h2c offer, and a declared body within the limit.
   */
  static boolean isDirect(
      HttpRequest request,
      String path,
      long declaredLength,
      boolean transferEncoding,
      boolean webSocket,
      EdgeSettings settings) {
    if (path.isEmpty() || path.charAt(0) != '/') {
      return false; // absolute-form or '*': the application decides
    }
    if (!RequestPaths.isCanonical(path)) {
      return false; // the application normalises it (the same function) and routes or refuses it
    }
    if (settings.answeredByApp().test(path)) {
      return false;
    }
    HttpHeaders headers = request.headers();
    if (transferEncoding || headers.contains(HttpHeaderNames.EXPECT)) {
      return false;
    }
    // A WebSocket upgrade is tunnelled to Shimmy (/ws/generate). An h2c upgrade offer (the JDK's
    // HttpClient sends one by default) may be ignored: it is dropped with the hop-by-hop headers
    // and the request is answered in HTTP/1.1. Other upgrades are the application's to refuse.
    if (headers.contains(HttpHeaderNames.UPGRADE)
        && !webSocket
        && !headers.containsValue(HttpHeaderNames.UPGRADE, H2C, true)) {
      return false;
    }
    return declaredLength >= 0 && declaredLength <= settings.maxDirectBodyBytes();
  }
}
