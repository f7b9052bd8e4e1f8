package io.github.shimmypull.core.doubles;

import com.sun.net.httpserver.HttpServer;
import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * A tiny adapter, the front server of core's tests: the JDK's {@code com.sun.net.httpserver} on
 * 127.0.0.1 handing every request to a core {@link HttpHandler}, so tests see the real HTTP
 * behaviour (status, headers, chunked streaming with a flush per write, a fixed length when the
 * handler declares {@code Content-Length}). An exception from the handler breaks the connection
 * instead of ending the response, as a real adapter does.
 */
public final class JdkHttpServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService threads;

  private JdkHttpServer(HttpServer server, ExecutorService threads) {
    this.server = server;
    this.threads = threads;
  }

  public static JdkHttpServer start(HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool();
    server.setExecutor(threads);
    server.createContext(
        "/",
        jdk -> {
          Exchange exchange = new Exchange(jdk);
          // On an exception the JDK server closes the connection without ending the response.
          handler.handle(exchange);
          // Drain what the handler left unread before ending the response: the JDK server closes
          // a connection with more than a little unread request body, and a close with unread
          // bytes resets it, which can destroy the response the client has not read yet.
          try (InputStream unread = jdk.getRequestBody()) {
            unread.transferTo(OutputStream.nullOutputStream());
          } catch (IOException ignored) {
            // the client went away; nothing left to drain
          }
          exchange.responseBody().close();
          jdk.close();
        });
    server.start();
    return new JdkHttpServer(server, threads);
  }

  public URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  private static final class Exchange implements HttpExchange {
    private final com.sun.net.httpserver.HttpExchange jdk;
    private int status = 200;
    private @Nullable OutputStream body;

    Exchange(com.sun.net.httpserver.HttpExchange jdk) {
      this.jdk = jdk;
    }

    @Override
    public String method() {
      return jdk.getRequestMethod();
    }

    @Override
    public String path() {
      // As the client spelled it: URI.getRawPath() would read '//v1/api' as an authority.
      String target = jdk.getRequestURI().toString();
      int query = target.indexOf('?');
      return query < 0 ? target : target.substring(0, query);
    }

    @Override
    public @Nullable String rawQuery() {
      return jdk.getRequestURI().getRawQuery();
    }

    @Override
    public List<String> requestHeaderNames() {
      return new ArrayList<>(jdk.getRequestHeaders().keySet());
    }

    @Override
    public List<String> requestHeaders(String name) {
      List<String> values = jdk.getRequestHeaders().get(name);
      return values == null ? List.of() : values;
    }

    @Override
    public InputStream requestBody() {
      return jdk.getRequestBody();
    }

    @Override
    public void status(int status) {
      this.status = status;
    }

    @Override
    public void addResponseHeader(String name, String value) {
      jdk.getResponseHeaders().add(name, value);
    }

    @Override
    public OutputStream responseBody() throws IOException {
      if (body == null) {
        String length = jdk.getResponseHeaders().getFirst("Content-Length");
        long bodyLength;
        if (method().equals("HEAD") || status == 204 || status == 304) {
          bodyLength = -1;
        } else if (length != null) {
          long declared = Long.parseLong(length);
          bodyLength = declared == 0 ? -1 : declared;
        } else {
          bodyLength = 0;
        }
        jdk.sendResponseHeaders(status, bodyLength);
        body = jdk.getResponseBody();
      }
      return body;
    }

    @Override
    public @Nullable String remoteAddress() {
      return jdk.getRemoteAddress().getAddress().getHostAddress();
    }
  }
}
