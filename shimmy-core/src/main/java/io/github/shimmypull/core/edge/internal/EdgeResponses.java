package io.github.shimmypull.core.edge.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The JSON error answers the edge gives itself, in the API's shape {@code {"error","code"}}. */
final class EdgeResponses {

  private EdgeResponses() {}

  /** {@code message} must be plain text without quotes or backslashes. */
  static FullHttpResponse error(int status, String code, String message, boolean keepAlive) {
    ByteBuf body =
        Unpooled.copiedBuffer(
            "{\"error\":\"" + message + "\",\"code\":\"" + code + "\"}\n", StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }
}
