package io.github.shimmypull.core.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An {@link HttpExchange} that hands every call to another one; subclasses override what they
 * change (a path below a mount prefix, a rewritten request body, bookkeeping of the response). The
 * one place the delegation is written, for core and for the adapters. {@link #requestHeader} is
 * forwarded too (adapters may answer it faster than {@link #requestHeaders}): a subclass that
 * changes the request headers overrides both.
 */
public abstract class ForwardingHttpExchange implements HttpExchange {

  private final HttpExchange delegate;

  /** An exchange forwarding every call to {@code delegate}. */
  protected ForwardingHttpExchange(HttpExchange delegate) {
    this.delegate = delegate;
  }

  /**
   * {@code exchange} as seen below {@code mountPrefix}: its {@link #path()} without the prefix
   * ({@code /} when nothing is left); a path outside the prefix is left as it is. An empty prefix
   * returns {@code exchange} itself.
   *
   * @param mountPrefix {@code ""} or a prefix such as {@code /shimmy} (leading slash, no trailing
   *     one)
   */
  public static HttpExchange belowPrefix(HttpExchange exchange, String mountPrefix) {
    if (mountPrefix.isEmpty()) {
      return exchange;
    }
    return new ForwardingHttpExchange(exchange) {
      @Override
      public String path() {
        String path = super.path();
        if (!path.startsWith(mountPrefix)) {
          return path;
        }
        String rest = path.substring(mountPrefix.length());
        return rest.isEmpty() ? "/" : rest;
      }
    };
  }

  /** The exchange calls are forwarded to. */
  protected final HttpExchange delegate() {
    return delegate;
  }

  @Override
  public String method() {
    return delegate.method();
  }

  @Override
  public String path() {
    return delegate.path();
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
  public @Nullable String requestHeader(String name) {
    return delegate.requestHeader(name);
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
