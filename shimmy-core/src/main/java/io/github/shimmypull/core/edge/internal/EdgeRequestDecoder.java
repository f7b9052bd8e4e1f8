package io.github.shimmypull.core.edge.internal;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's request decoder for the edge's client connections, whose answers are written as bytes
 * (there is no response encoder). A request with both {@code Transfer-Encoding} and {@code
 * Content-Length} (a smuggling attempt, or a broken client) is read by its chunks, as RFC 9112
 * says, and its connection closes after the answer: the request is marked {@code Connection:
 * close}.
 */
public final class EdgeRequestDecoder extends HttpRequestDecoder {

  public EdgeRequestDecoder(HttpDecoderConfig config) {
    super(config);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    super.handleTransferEncodingChunkedWithContentLength(message);
    message.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
  }
}
