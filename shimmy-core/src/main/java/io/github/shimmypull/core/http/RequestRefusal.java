package io.github.shimmypull.core.http;

import io.github.shimmypull.core.PullException;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * What every front refuses from a request's head alone, before routing, the same way on the edge,
 * Jetty and Spring: {@code CONNECT} (this is no forward proxy), a method that is not an upper-case
 * token (methods are case-sensitive: {@code get} is not {@code GET}), a request target that is not
 * a path (absolute-form, authority-form; {@code OPTIONS *} is allowed), and a path {@link
 * RequestPaths#normalize} refuses. Answered as JSON through {@link ErrorResponses}.
 *
 * @param status the HTTP status of the refusal (400 or 405)
 * @param code the error code
 * @param message the error message
 */
public record RequestRefusal(int status, String code, String message) {

  /**
   * The refusal of a request, or null when it may be routed.
   *
   * @param method the method as received
   * @param target the request target as received (path and query, or another form)
   */
  public static @Nullable RequestRefusal of(String method, String target) {
    if (method.equals("CONNECT")) {
      return new RequestRefusal(
          405, "method_not_allowed", "CONNECT is not supported: this is not a forward proxy");
    }
    if (!isUpperCaseToken(method)) {
      return new RequestRefusal(
          405,
          "method_not_allowed",
          "method '" + method + "' is not supported (methods are case-sensitive, e.g. GET)");
    }
    if (target.equals("*") && method.equals("OPTIONS")) {
      return null;
    }
    if (target.isEmpty() || target.charAt(0) != '/') {
      return new RequestRefusal(
          400,
          "invalid_request",
          "the request target must be a path such as /v1/models (absolute-form and authority-form are not served)");
    }
    int end = target.indexOf('?');
    int fragment = target.indexOf('#');
    if (fragment >= 0 && (end < 0 || fragment < end)) {
      end = fragment;
    }
    try {
      RequestPaths.normalize(end < 0 ? target : target.substring(0, end));
    } catch (PullException e) {
      return new RequestRefusal(400, "invalid_request", String.valueOf(e.getMessage()));
    }
    return null;
  }

  /** A method as the fronts accept it: upper-case letters, {@code -} and {@code _}. */
  private static boolean isUpperCaseToken(String method) {
    if (method.isEmpty()) {
      return false;
    }
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /** Answers {@code exchange} with this refusal. */
  public void send(HttpExchange exchange) throws IOException {
    ErrorResponses.send(exchange, status, code, message);
  }
}
