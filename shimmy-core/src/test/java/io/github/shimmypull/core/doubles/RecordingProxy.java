package io.github.shimmypull.core.doubles;

import io.github.shimmypull.core.http.HttpExchange;
import io.github.shimmypull.core.http.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** A fallback handler standing in for the reverse proxy: records the request and answers 200. */
public final class RecordingProxy implements HttpHandler {

  public volatile @Nullable String method;
  public volatile @Nullable String path;
  public volatile @Nullable String body;
  public volatile @Nullable String contentLength;
  private volatile @Nullable RuntimeException failure;

  /** Makes the proxy throw {@code failure} before answering. */
  public RecordingProxy failWith(@Nullable RuntimeException failure) {
    this.failure = failure;
    return this;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    RuntimeException f = failure;
    if (f != null) {
      throw f;
    }
    method = exchange.method();
    path = exchange.path();
    contentLength = exchange.requestHeader("Content-Length");
    try (InputStream in = exchange.requestBody()) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    exchange.status(200);
    exchange.addResponseHeader("Content-Type", "application/json");
    OutputStream out = exchange.responseBody();
    out.write("{\"proxied\":true}".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
