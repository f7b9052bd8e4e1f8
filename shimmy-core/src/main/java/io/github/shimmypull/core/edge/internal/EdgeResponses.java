package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.http.ErrorResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** The JSON error answers the edge gives itself, in the API's shape {@code {"error","code"}}. */
final class EdgeResponses {

  private EdgeResponses() {}

  /** Written by core's one error writer, {@link ErrorResponses#body}. */
  static FullHttpResponse error(int status, String code, String message, boolean keepAlive) {
    ByteBuf body = Unpooled.wrappedBuffer(ErrorResponses.body(code, message));
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), body);
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }
}
