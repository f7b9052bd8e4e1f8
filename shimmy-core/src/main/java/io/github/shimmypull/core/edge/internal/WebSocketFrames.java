package io.github.shimmypull.core.edge.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * The little of RFC 6455 the edge needs to route a WebSocket by its first frame: the handshake's
 * accept key, reading one complete client frame (unmasked payload) from buffered bytes, and the
 * server frames of an error answer (a text frame, then a close frame).
 */
final class WebSocketFrames {

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private WebSocketFrames() {}

  /** {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key}. */
  static String accept(String key) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  /** The first frame of a client: its opcode, whether it is final, and its unmasked payload. */
  record Frame(int opcode, boolean fin, byte[] payload) {}

  /** Thrown when a frame's payload is larger than the limit. */
  static final class TooLarge extends Exception {
    private static final long serialVersionUID = 1L;

    TooLarge(long length) {
      super("first WebSocket frame of " + length + " bytes");
    }
  }

  /**
   * The first complete frame in {@code buffer} (not consumed), or null while more bytes are needed.
   *
   * @throws TooLarge when its payload exceeds {@code maxPayload}
   */
  static @Nullable Frame first(ByteBuf buffer, int maxPayload) throws TooLarge {
    int start = buffer.readerIndex();
    int available = buffer.readableBytes();
    if (available < 2) {
      return null;
    }
    int b0 = buffer.getUnsignedByte(start);
    int b1 = buffer.getUnsignedByte(start + 1);
    long length = b1 & 0x7F;
    int header = 2;
    if (length == 126) {
      if (available < 4) {
        return null;
      }
      length = buffer.getUnsignedShort(start + 2);
      header = 4;
    } else if (length == 127) {
      if (available < 10) {
        return null;
      }
      length = buffer.getLong(start + 2);
      header = 10;
    }
    if (length < 0 || length > maxPayload) {
      throw new TooLarge(length);
    }
    boolean masked = (b1 & 0x80) != 0;
    int maskAt = start + header;
    if (masked) {
      header += 4;
    }
    if (available < header + length) {
      return null;
    }
    byte[] payload = new byte[(int) length];
    buffer.getBytes(start + header, payload);
    if (masked) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= buffer.getByte(maskAt + (i & 3));
      }
    }
    return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
  }

  /**
   * A server's error answer, as Shimmy gives it on {@code /ws/generate}: a text frame {@code
   * {"error": MESSAGE}} then a close frame with {@code code} (1008 policy violation, 1011 server
   * error, 1013 try again later).
   */
  static ByteBuf errorAndClose(ByteBufAllocator alloc, String json, int code) {
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    ByteBuf out = alloc.buffer(text.length + 16);
    out.writeByte(0x81); // FIN, text
    if (text.length < 126) {
      out.writeByte(text.length);
    } else if (text.length <= 0xFFFF) {
      out.writeByte(126).writeShort(text.length);
    } else {
      out.writeByte(127).writeLong(text.length);
    }
    out.writeBytes(text);
    out.writeByte(0x88).writeByte(2).writeShort(code); // FIN, close, status code
    return out;
  }
}
