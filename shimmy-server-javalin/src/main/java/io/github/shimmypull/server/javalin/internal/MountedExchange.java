package io.github.shimmypull.server.javalin.internal;

import io.github.shimmypull.core.http.HttpExchange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An exchange seen from below a mount prefix: {@link #path()} without the prefix, and a request
 * body that fails once it grows past a limit (for chunked bodies whose size is not declared).
 */
public final class MountedExchange implements HttpExchange {

  private final HttpExchange delegate;
  private final String basePath;
  private final long maxBodyBytes;

  /**
   * @param basePath the mount prefix ({@code ""} for none, else {@code /x} without a trailing slash)
   * @param maxBodyBytes the largest request body let through
   */
  public MountedExchange(HttpExchange delegate, String basePath, long maxBodyBytes) {
    this.delegate = delegate;
    this.basePath = basePath;
    this.maxBodyBytes = maxBodyBytes;
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
    return new LimitedInputStream(delegate.requestBody(), maxBodyBytes);
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

  /** Counts bytes read and fails past the limit, so an undeclared huge body cannot exhaust memory or disk. */
  private static final class LimitedInputStream extends FilterInputStream {
    private final long limit;
    private long count;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    private void count(long n) throws IOException {
      count += n;
      if (count > limit) {
        throw new IOException("request body larger than " + limit + " bytes");
      }
    }
  }
}
