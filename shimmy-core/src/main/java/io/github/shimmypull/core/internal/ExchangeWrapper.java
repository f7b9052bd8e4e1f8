package io.github.shimmypull.core.internal;

import io.github.shimmypull.core.http.ForwardingHttpExchange;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.RequestPaths;
import io.github.shimmypull.core.http.ShimmyHttpApi;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An exchange that remembers whether the response was started (so an error can still be answered as
 * JSON) and fails a request body that grows past a limit.
 */
public class ExchangeWrapper extends ForwardingHttpExchange {

  private final long maxBodyBytes;
  private volatile boolean committed;

  /**
   * @param maxBodyBytes the largest request body let through: reading past it throws {@link
   *     BodyTooLargeException} (a body without a declared length cannot exhaust memory or disk)
   */
  public ExchangeWrapper(HttpExchange delegate, long maxBodyBytes) {
    super(delegate);
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * {@code exchange} routed by its canonical path ({@link RequestPaths#normalize}): a path that
   * normalises to one the API answers itself ({@link ShimmyHttpApi#answersItself}) is presented in
   * its canonical form, so it reaches that route and its checks; any other path is left as the
   * client spelled it for the proxy.
   *
   * @throws io.github.shimmypull.core.PullException 400 for a path no route may take
   */
  public static ExchangeWrapper canonical(ExchangeWrapper exchange, long maxBodyBytes) {
    String raw = exchange.path();
    String path = RequestPaths.normalize(raw);
    if (path.equals(raw) || !ShimmyHttpApi.answersItself(path)) {
      return exchange;
    }
    return new ExchangeWrapper(exchange, maxBodyBytes) {
      @Override
      public String path() {
        return path;
      }
    };
  }

  /**
   * A {@code HEAD} request for a path the API answers itself, presented as the {@code GET} it
   * mirrors, with the response body discarded: the same status and headers, no body. Any other
   * exchange is returned as it is ({@code HEAD} on a proxied path goes to Shimmy as it is).
   */
  public static ExchangeWrapper headAsGet(ExchangeWrapper exchange, long maxBodyBytes) {
    if (!exchange.method().equals("HEAD") || !ShimmyHttpApi.answersItself(exchange.path())) {
      return exchange;
    }
    return new ExchangeWrapper(exchange, maxBodyBytes) {
      @Override
      public String method() {
        return "GET";
      }

      @Override
      public void addResponseHeader(String name, String value) {
        if (!name.equalsIgnoreCase("Content-Length")) {
          super.addResponseHeader(name, value);
        }
      }

      @Override
      public OutputStream responseBody() throws IOException {
        OutputStream real = super.responseBody();
        return new OutputStream() {
          @Override
          public void write(int b) {}

          @Override
          public void write(byte[] b, int off, int len) {}

          @Override
          public void flush() throws IOException {
            real.flush();
          }

          @Override
          public void close() throws IOException {
            real.close();
          }
        };
      }
    };
  }

  /** Whether a status or body was sent through this wrapper. */
  public boolean committed() {
    return committed;
  }

  @Override
  public InputStream requestBody() throws IOException {
    return new LimitedInputStream(super.requestBody(), maxBodyBytes);
  }

  @Override
  public OutputStream responseBody() throws IOException {
    committed = true;
    return super.responseBody();
  }

  /** A request body grew past the limit while it was read. */
  public static final class BodyTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    BodyTooLargeException(long limit) {
      super("request body is larger than " + limit + " bytes");
    }
  }

  /** Counts the bytes read and fails past the limit. */
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
        throw new BodyTooLargeException(limit);
      }
    }
  }
}
