package io.github.shimmypull.spring.internal;

import io.github.shimmypull.core.http.HttpExchange;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.web.filter.ShallowEtagHeaderFilter;

/**
 * An {@link HttpExchange} over a servlet request and response: nothing but translation. The
 * response body is the servlet's own output stream, so every flush from core reaches the client (no
 * buffering wrapper; Spring's ETag content caching and the server's response compression are
 * switched off for the exchange).
 */
public final class ServletHttpExchange implements HttpExchange {

  private static final String CONTENT_ENCODING = "Content-Encoding";

  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final String path;
  private final boolean suppressCompression;

  /** An exchange for a server that does not compress responses. */
  public ServletHttpExchange(HttpServletRequest request, HttpServletResponse response) {
    this(request, response, false);
  }

  /**
   * @param suppressCompression whether the server compresses responses ({@code
   *     server.compression.enabled}); the exchange then marks responses that have no {@code
   *     Content-Encoding} of their own as {@code identity}, which turns Tomcat's compression (and
   *     its buffering of flushed chunks) off for them
   */
  public ServletHttpExchange(
      HttpServletRequest request, HttpServletResponse response, boolean suppressCompression) {
    this.request = request;
    this.response = response;
    this.path = pathWithin(request);
    this.suppressCompression = suppressCompression;
  }

  /**
   * The raw (not decoded) request path below the servlet context path, starting with {@code /}; a
   * mount prefix is cut by {@link
   * io.github.shimmypull.core.http.ForwardingHttpExchange#belowPrefix}.
   */
  static String pathWithin(HttpServletRequest request) {
    String uri = request.getRequestURI();
    String contextPath = request.getContextPath();
    if (!contextPath.isEmpty() && uri.startsWith(contextPath)) {
      uri = uri.substring(contextPath.length());
    }
    return uri.isEmpty() ? "/" : uri;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String rawQuery() {
    return request.getQueryString();
  }

  @Override
  public List<String> requestHeaderNames() {
    return Collections.list(request.getHeaderNames());
  }

  @Override
  public List<String> requestHeaders(String name) {
    return Collections.list(request.getHeaders(name));
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
    response.addHeader(name, value);
  }

  @Override
  public @Nullable String remoteAddress() {
    return request.getRemoteAddr();
  }

  @Override
  public String scheme() {
    return request.getScheme();
  }

  @Override
  public OutputStream responseBody() throws IOException {
    ShallowEtagHeaderFilter.disableContentCaching(request);
    if (suppressCompression
        && !response.isCommitted()
        && !response.containsHeader(CONTENT_ENCODING)) {
      response.setHeader(CONTENT_ENCODING, "identity");
    }
    return response.getOutputStream();
  }
}
