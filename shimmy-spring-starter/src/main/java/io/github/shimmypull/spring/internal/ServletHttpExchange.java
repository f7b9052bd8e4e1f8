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
 * response body is the servlet's own output stream, so every flush from core reaches the client
 * (no buffering wrapper; Spring's ETag content caching is switched off for the exchange).
 */
public final class ServletHttpExchange implements HttpExchange {

  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final String path;

  /**
   * @param mountPrefix the prefix the endpoints are mounted under ({@code ""} or e.g. {@code
   *     /shimmy}); it and the servlet context path are cut from the exchange's path
   */
  public ServletHttpExchange(
      HttpServletRequest request, HttpServletResponse response, String mountPrefix) {
    this.request = request;
    this.response = response;
    this.path = pathWithin(request, mountPrefix);
  }

  /**
   * The raw (not decoded) request path below the context path and {@code mountPrefix}, starting
   * with {@code /}.
   */
  static String pathWithin(HttpServletRequest request, String mountPrefix) {
    String uri = request.getRequestURI();
    String contextPath = request.getContextPath();
    if (!contextPath.isEmpty() && uri.startsWith(contextPath)) {
      uri = uri.substring(contextPath.length());
    }
    if (!mountPrefix.isEmpty() && uri.startsWith(mountPrefix)) {
      uri = uri.substring(mountPrefix.length());
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
    return response.getOutputStream();
  }
}
