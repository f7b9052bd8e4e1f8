package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.http.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** An exchange seen from below a mount prefix: {@link #path()} without the prefix. */
public final class MountedExchange implements HttpExchange {

  private final HttpExchange delegate;
  private final String basePath;

  /** @param basePath the mount prefix ({@code ""} for none, else {@code /x} without a trailing slash) */
  public MountedExchange(HttpExchange delegate, String basePath) {
    this.delegate = delegate;
    this.basePath = basePath;
  }

  @Override
  public String method() {
    return delegate.method();
  }

  @Override
  public String path() {
    String path = delegate.path();
    if (!basePath.isEmpty() && path.startsWith(basePath)) {
      String rest = path.substring(basePath.length());
      return rest.isEmpty() ? "/" : rest;
    }
    return path;
  }

  @Override
  public @Nullable String rawQuery() {
    return delegate.rawQuery();
  }

  @Override
  public List<String> requestHeaderNames() {
    return delegate.requestHeaderNames();
  }

  @Override
  public List<String> requestHeaders(String name) {
    return delegate.requestHeaders(name);
  }

  @Override
  public InputStream requestBody() throws IOException {
    return delegate.requestBody();
  }

  @Override
  public void status(int status) {
    delegate.status(status);
  }

  @Override
  public void addResponseHeader(String name, String value) {
    delegate.addResponseHeader(name, value);
  }

  @Override
  public OutputStream responseBody() throws IOException {
    return delegate.responseBody();
  }

  @Override
  public @Nullable String remoteAddress() {
    return delegate.remoteAddress();
  }

  @Override
  public String scheme() {
    return delegate.scheme();
  }
}
