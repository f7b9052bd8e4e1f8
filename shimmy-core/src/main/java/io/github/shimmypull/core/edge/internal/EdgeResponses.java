package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.http.ErrorResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * The answers the edge writes itself, as bytes (client connections have no response encoder): JSON
 * errors in the API's shape {@code {"error","code"}}, chunk framing, and the {@code 101} of a
 * WebSocket it accepts for Shimmy.
 */
final class EdgeResponses {

  private static final ByteBuf LAST_CHUNK =
      Unpooled.unreleasableBuffer(
          Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private EdgeResponses() {}

  /**
   * An error, its body written by core's one error writer, {@link ErrorResponses#body}; without the
   * body (its length declared) when it answers a HEAD request.
   */
  static ByteBuf error(
      int status, String code, String message, boolean keepAlive, boolean headRequest) {
    byte[] body = ErrorResponses.body(code, message);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + HttpResponseStatus.valueOf(status).reasonPhrase()
            + "\r\ncontent-type: application/json\r\ncontent-length: "
            + body.length
            + (keepAlive ? "" : "\r\nconnection: close")
            + "\r\n\r\n";
    ByteBuf out = Unpooled.buffer(head.length() + body.length);
    out.writeCharSequence(head, StandardCharsets.US_ASCII);
    if (!headRequest) {
      out.writeBytes(body);
    }
    return out;
  }

  /** The {@code 101} accepting a WebSocket upgrade whose key gives {@code accept}. */
  static ByteBuf switchingProtocols(String accept) {
    String head =
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
            + "sec-websocket-accept: "
            + accept
            + "\r\n\r\n";
    return Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII);
  }

  /** Writes the line that starts a chunk of {@code size} bytes. */
  static void chunkStart(ByteBuf out, int size) {
    int shift = 28;
    while (shift > 0 && (size >>> shift) == 0) {
      shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
      out.writeByte(HEX[(size >>> shift) & 0xf]);
    }
    out.writeByte('\r').writeByte('\n');
  }

  /** Writes the line that ends a chunk's data. */
  static void chunkEnd(ByteBuf out) {
    out.writeByte('\r').writeByte('\n');
  }

  /** The last chunk without trailer fields, ending a chunked body; a new view each call. */
  static ByteBuf lastChunk() {
    return LAST_CHUNK.duplicate();
  }
}
