package io.github.shimmypull.core.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP request and its response, as an adapter (Javalin, Spring MVC) hands it to core. Adapters
 * implement this over their own request and response objects and nothing more: every decision
 * (routes, status codes, JSON errors, streaming) is core's.
 */
public interface HttpExchange {

  /** Request method in upper case. */
  String method();

  /** Request path without the adapter's mount prefix, starting with {@code /}, not decoded. */
  String path();

  /** Raw query string without {@code ?}, or null. */
  @Nullable String rawQuery();

  /** Request header names as received. */
  List<String> requestHeaderNames();

  /** All values of request header {@code name} (case-insensitive); empty when absent. */
  List<String> requestHeaders(String name);

  /** The first value of request header {@code name}, or null. */
  default @Nullable String requestHeader(String name) {
    List<String> values = requestHeaders(name);
    return values.isEmpty() ? null : values.get(0);
  }

  /** The request body, streamed. */
  InputStream requestBody() throws IOException;

  /** Sets the response status; before the first body byte. */
  void status(int status);

  /** Adds a response header; before the first body byte. */
  void addResponseHeader(String name, String value);

  /**
   * The response body. Writes are sent as they happen when followed by {@link OutputStream#flush};
   * compression, if any, is the adapter's and must be off for this stream.
   */
  OutputStream responseBody() throws IOException;

  /**
   * The client's IP address as the front server saw it (for {@code X-Forwarded-For}), or null when
   * the adapter does not know it.
   */
  default @Nullable String remoteAddress() {
    return null;
  }

  /** The scheme the client used, {@code http} or {@code https} (for {@code X-Forwarded-Proto}). */
  default String scheme() {
    return "http";
  }
}
