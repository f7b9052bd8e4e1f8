package io.github.shimmypull.core.http.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.http.ErrorResponses;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.internal.ExchangeWrapper;
import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.internal.WireFormat;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Map;

/**
 * How the API answers: a JSON body with its status, the errors of both failure domains (with {@code
 * WWW-Authenticate} and {@code Retry-After} where they apply) and 405 with {@code Allow}.
 */
public final class JsonAnswers {

  /** The media type of every JSON answer. */
  public static final String JSON = "application/json";

  private JsonAnswers() {}

  /** Sends {@code body} as JSON with {@code status}. */
  public static void sendJson(HttpExchange ex, int status, Map<String, Object> body)
      throws IOException {
    byte[] bytes = Json.writeBytes(body);
    ex.status(status);
    ex.addResponseHeader("Content-Type", JSON);
    OutputStream out = ex.responseBody();
    out.write(bytes);
    out.flush();
  }

  /** Answers a {@link PullException}; aborts the exchange when the response has started. */
  public static void answerError(ExchangeWrapper ex, PullException e) throws IOException {
    if (ex.committed()) {
      throw new IOException("response aborted: " + e.getMessage(), e);
    }
    if (e.reason() == Reason.UNAUTHORIZED) {
      ex.addResponseHeader("WWW-Authenticate", "Bearer");
    }
    if (e.reason().httpStatus() == 503) {
      ex.addResponseHeader("Retry-After", ErrorResponses.RETRY_AFTER_SECONDS);
    }
    sendJson(ex, e.reason().httpStatus(), WireFormat.error(e));
  }

  /** Answers a {@link SupervisorException}; aborts the exchange when the response has started. */
  public static void answerBackend(ExchangeWrapper ex, SupervisorException e) throws IOException {
    if (ex.committed()) {
      throw new IOException("response aborted: " + e.getMessage(), e);
    }
    String code = e.reason().code();
    Map<String, Object> body = WireFormat.error(code, String.valueOf(e.getMessage()));
    body.put("reason", e.reason().name().toLowerCase(Locale.ROOT));
    if (e.reason().httpStatus() == 503) {
      ex.addResponseHeader("Retry-After", ErrorResponses.RETRY_AFTER_SECONDS);
    }
    sendJson(ex, e.reason().httpStatus(), body);
  }

  /** True when the request uses {@code method}; else answers 405 and returns false. */
  public static boolean allow(HttpExchange ex, String method) throws IOException {
    if (ex.method().equals(method)) {
      return true;
    }
    methodNotAllowed(ex, method);
    return false;
  }

  /** Answers 405 {@code method_not_allowed} with {@code Allow: allowed}. */
  public static void methodNotAllowed(HttpExchange ex, String allowed) throws IOException {
    ex.addResponseHeader("Allow", allowed);
    sendJson(
        ex,
        405,
        WireFormat.error(
            "method_not_allowed",
            "method "
                + ex.method()
                + " is not allowed on "
                + ex.path()
                + " (allowed: "
                + allowed
                + ")"));
  }
}
