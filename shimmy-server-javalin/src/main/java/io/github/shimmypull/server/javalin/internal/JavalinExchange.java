package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.jspecify.annotations.Nullable;

/**
 * A core {@link HttpExchange} over one Javalin {@link Context}: reads straight from the servlet
 * request and writes straight to the servlet response's raw output stream, so core decides status,
 * headers and body, and streamed bodies (SSE, NDJSON) are flushed as core flushes them.
 *
 * <p>Javalin's own result handling is bypassed: compression is disabled for the exchange and
 * Javalin's default {@code Content-Type} is cleared, so only the headers core sets are sent ({@code
 * Content-Type}, {@code Date} and {@code Server} replace what Jetty presets). The request body is
 * never read by Javalin (its {@code maxRequestSize} applies only to {@code ctx.body()}), so bodies
 * of any size stream through.
 */
public final class JavalinExchange implements HttpExchange {

  private final HttpServletRequest request;
  private final HttpServletResponse response;

  /**
   * Answers {@code ctx} with {@code handler}. An {@link IOException} out of the handler (the client
   * went away, or the upstream broke after the response started) aborts the connection instead of
   * letting Javalin end the response normally, so a half-sent stream never looks complete.
   */
  public static void handle(Context ctx, HttpHandler handler) {
    JavalinExchange exchange = new JavalinExchange(ctx);
    try {
      handler.handle(exchange);
    } catch (IOException e) {
      exchange.abort(e);
    }
  }

  /** An exchange over {@code ctx}; use it on the request's own thread. */
  public JavalinExchange(Context ctx) {
    ctx.disableCompression();
    this.request = ctx.req();
    this.response = ctx.res();
    // Javalin presets its default content type; core sets the one it means (or none).
    response.setContentType(null);
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    String uri = request.getRequestURI();
    String contextPath = request.getContextPath();
    return contextPath.isEmpty() || !uri.startsWith(contextPath)
        ? uri
        : uri.substring(contextPath.length());
  }

  @Override
  public @Nullable String rawQuery() {
    return request.getQueryString();
  }

  @Override
  public List<String> requestHeaderNames() {
    return list(request.getHeaderNames());
  }

  @Override
  public List<String> requestHeaders(String name) {
    return list(request.getHeaders(name));
  }

  @Override
  public @Nullable String requestHeader(String name) {
    return request.getHeader(name);
  }

  @Override
  public InputStream requestBody() throws IOException {
    return request.getInputStream();
  }

  @Override
  public void status(int status) {
    response.setStatus(status);
  }

  @Override
  public void addResponseHeader(String name, String value) {
    if (name.equalsIgnoreCase("Content-Type")) {
      // Jetty keeps the content type apart from the header list; adding it would send two.
      response.setContentType(value);
    } else if (name.equalsIgnoreCase("Date") || name.equalsIgnoreCase("Server")) {
      // Single-valued headers Jetty may preset: the upstream's value replaces Jetty's.
      response.setHeader(name, value);
    } else {
      response.addHeader(name, value);
    }
  }

  @Override
  public OutputStream responseBody() throws IOException {
    return response.getOutputStream();
  }

  @Override
  public @Nullable String remoteAddress() {
    return request.getRemoteAddr();
  }

  @Override
  public String scheme() {
    return request.getScheme();
  }

  /**
   * Aborts the HTTP exchange at the connection level: a committed response is cut off (no final
   * chunk), an uncommitted one is never sent.
   */
  public void abort(Throwable cause) {
    // Jetty's servlet channel (jetty-ee10-servlet comes with Javalin) can abort; the servlet API
    // alone could only end the response cleanly.
    ServletContextRequest jettyRequest = ServletContextRequest.getServletContextRequest(request);
    if (jettyRequest == null) {
      throw new IllegalStateException("not a Jetty servlet request; cannot abort", cause);
    }
    jettyRequest.getServletChannel().getEndPoint().close(cause);
  }

  private static List<String> list(@Nullable Enumeration<String> values) {
    return values == null ? List.of() : Collections.list(values);
  }
}
