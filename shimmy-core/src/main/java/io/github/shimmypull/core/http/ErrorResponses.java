package io.github.shimmypull.core.http;

import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.internal.WireFormat;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The one writer of JSON error answers, {@code {"error": MESSAGE, "code": CODE}} (docs/api.md): the
 * API, the reverse proxy, the edge and the adapters' server-level error pages (Jetty's, Spring's)
 * all write their errors through it, so no error a client meets is HTML or plain text.
 */
public final class ErrorResponses {

  /**
   * The {@code Retry-After} of every 503 we answer, in seconds: the API's, the proxy's and the
   * Ollama API's alike (they said 5 and 2 before; 5 won: a model's instance takes seconds to start,
   * and a client retrying every 2 s only adds to an overload).
   */
  public static final String RETRY_AFTER_SECONDS = "5";

  /** The media type of every error answer. */
  public static final String CONTENT_TYPE = "application/json";

  private ErrorResponses() {}

  /** The body of an error answer, UTF-8 JSON. */
  public static byte[] body(String code, String message) {
    return Json.writeBytes(WireFormat.error(code, message));
  }

  /**
   * The stable code of an error a server raises by status alone (a framework's own 404, 405, 408,
   * 413, ...): {@code invalid_request} for other 4xx, {@code internal_error} for 5xx.
   */
  public static String code(int status) {
    return switch (status) {
      case 401 -> "unauthorized";
      case 404 -> "not_found";
      case 405, 501 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "payload_too_large";
      case 415 -> "unsupported_media_type";
      case 502 -> "upstream_error";
      case 505 -> "invalid_request";
      case 503 -> "backend_unavailable";
      default -> status >= 500 ? "internal_error" : "invalid_request";
    };
  }

  /** Answers {@code exchange} with an error; before anything of the response was sent. */
  public static void send(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    byte[] json = body(code, message);
    exchange.status(status);
    exchange.addResponseHeader("Content-Type", CONTENT_TYPE);
    exchange.addResponseHeader("Content-Length", Integer.toString(json.length));
    OutputStream out = exchange.responseBody();
    out.write(json);
    out.flush();
  }
}
