package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.http.RequestPaths;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import org.jspecify.annotations.Nullable;

/**
 * What the edge refuses itself, from a request's head, before routing: request targets and
 * methods no route serves. The answers are JSON errors, where Jetty would send an HTML page.
 *
 * @param status the HTTP status of the refusal
 * @param code the error code
 * @param message the error message
 */
record RequestChecks(int status, String code, String message) {

  /** The refusal of {@code request}, or null when it may be routed. */
  static @Nullable RequestChecks refusal(HttpRequest request) {
    HttpMethod method = request.method();
    String name = method.name();
    if (method.equals(HttpMethod.CONNECT)) {
      return new RequestChecks(405, "method_not_allowed", "CONNECT is not supported: this is not a forward proxy");
    }
    if (!name.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
      return new RequestChecks(405, "method_not_allowed",
          "method '" + name + "' is not supported (methods are case-sensitive, e.g. GET)");
    }
    String uri = request.uri();
    if (uri.equals("*") && method.equals(HttpMethod.OPTIONS)) {
      return null;
    }
    if (uri.isEmpty() || uri.charAt(0) != '/') {
      return new RequestChecks(400, "invalid_request",
          "the request target must be a path such as /v1/models (absolute-form and authority-form are not served)");
    }
    int end = uri.indexOf('?');
    int fragment = uri.indexOf('#');
    if (fragment >= 0 && (end < 0 || fragment < end)) {
      end = fragment;
    }
    try {
      RequestPaths.normalize(end < 0 ? uri : uri.substring(0, end));
    } catch (PullException e) {
      return new RequestChecks(400, "invalid_request", String.valueOf(e.getMessage()));
    }
    return null;
  }
}
