package io.github.shimmypull.core.edge.internal;

import io.github.shimmypull.core.edge.internal.ResponseHead.MalformedResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jspecify.annotations.Nullable;

/**
 * Reads an upstream connection's responses as bytes, in place of Netty's response decoder: each
 * head becomes one {@link ResponseHead} (parsed once, forwarded from its own bytes), the body goes
 * on as slices of what was read (chunk framing taken off), and {@link #END} marks the end of a
 * response. After a {@code 101} everything read goes on as it is. No header objects, no copies of
 * the body.
 *
 * <p>Heads are bounded by {@link #MAX_HEAD_BYTES} and chunk-size lines by {@link
 * #MAX_CHUNK_LINE_BYTES}; anything that breaks HTTP/1.1's framing is an exception, which closes the
 * connection (the exchange answers 502 or cuts its response off). Trailer fields are read and
 * dropped.
 */
final class UpstreamResponseDecoder extends ChannelInboundHandlerAdapter {

  /** The end of one response. */
  static final Object END =
      new Object() {
        @Override
        public String toString() {
          return "END";
        }
      };

  /** A response head (status line and fields) may be this long: 64 KiB. */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  /** A chunk-size line (with extensions) or a trailer field may be this long: 4 KiB. */
  static final int MAX_CHUNK_LINE_BYTES = 4096;

  private enum State {
    HEAD,
    LENGTH,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_DATA_END,
    TRAILERS,
    UNTIL_CLOSE,
    RAW,
    FAILED
  }

  private State state = State.HEAD;
  private boolean headRequest;
  private long remaining;
  private @Nullable ByteBuf carried;

  /** The next response answers a request with this method: a HEAD request's answer has no body. */
  void expect(boolean headRequest) {
    this.headRequest = headRequest;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in) || state == State.RAW) {
      ctx.fireChannelRead(msg);
      return;
    }
    ByteBuf input = in;
    ByteBuf before = carried;
    if (before != null) {
      carried = null;
      before.writeBytes(in);
      in.release();
      input = before;
    }
    try {
      decode(ctx, input);
      if (input.isReadable() && state != State.FAILED && state != State.RAW) {
        int limit = state == State.HEAD ? MAX_HEAD_BYTES : MAX_CHUNK_LINE_BYTES;
        if (input.readableBytes() > limit) {
          throw new MalformedResponse(
              (state == State.HEAD ? "a head" : "a chunk line") + " longer than " + limit);
        }
        carried = ctx.alloc().heapBuffer(input.readableBytes() * 2).writeBytes(input);
      }
    } catch (MalformedResponse e) {
      state = State.FAILED;
      ctx.fireExceptionCaught(e);
    } finally {
      input.release();
    }
  }

  /** Decodes what {@code in} holds; returns with bytes left only when a line is incomplete. */
  private void decode(ChannelHandlerContext ctx, ByteBuf in) {
    while (in.isReadable()) {
      switch (state) {
        case HEAD -> {
          if (!readHead(ctx, in)) {
            return;
          }
        }
        case LENGTH -> {
          int length = (int) Math.min(remaining, in.readableBytes());
          remaining -= length;
          ctx.fireChannelRead(in.readRetainedSlice(length));
          if (remaining == 0) {
            end(ctx, in);
          }
        }
        case CHUNK_SIZE -> {
          int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
          if (lf < 0) {
            return;
          }
          long size = chunkSize(in, lf);
          in.readerIndex(lf + 1);
          if (size == 0) {
            state = State.TRAILERS;
          } else {
            remaining = size;
            state = State.CHUNK_DATA;
          }
        }
        case CHUNK_DATA -> {
          int length = (int) Math.min(remaining, in.readableBytes());
          remaining -= length;
          ctx.fireChannelRead(in.readRetainedSlice(length));
          if (remaining == 0) {
            state = State.CHUNK_DATA_END;
          }
        }
        case CHUNK_DATA_END -> {
          int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
          if (lf < 0) {
            if (in.readableBytes() > 1 || in.getByte(in.readerIndex()) != '\r') {
              throw new MalformedResponse("chunk data longer than its size");
            }
            return;
          }
          int extra = lf - in.readerIndex();
          if (extra > 1 || (extra == 1 && in.getByte(in.readerIndex()) != '\r')) {
            throw new MalformedResponse("chunk data longer than its size");
          }
          in.readerIndex(lf + 1);
          state = State.CHUNK_SIZE;
        }
        case TRAILERS -> {
          int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
          if (lf < 0) {
            return;
          }
          boolean blank =
              lf == in.readerIndex() || (lf == in.readerIndex() + 1 && in.getByte(lf - 1) == '\r');
          in.readerIndex(lf + 1);
          if (blank) {
            end(ctx, in);
          }
        }
        case UNTIL_CLOSE -> ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
        case RAW -> {
          ctx.fireChannelRead(in.readRetainedSlice(in.readableBytes()));
          return;
        }
        case FAILED -> {
          in.skipBytes(in.readableBytes());
          return;
        }
      }
    }
  }

  private boolean readHead(ChannelHandlerContext ctx, ByteBuf in) {
    int end = ResponseHead.headEnd(in);
    if (end < 0) {
      return false;
    }
    int length = end - in.readerIndex();
    if (length > MAX_HEAD_BYTES) {
      throw new MalformedResponse("a head longer than " + MAX_HEAD_BYTES);
    }
    byte[] bytes = new byte[length];
    in.readBytes(bytes);
    ResponseHead head = ResponseHead.parse(bytes, headRequest);
    if (head.status() == 101) {
      state = State.RAW; // the connection speaks another protocol now
      ctx.fireChannelRead(head);
      return true;
    }
    ctx.fireChannelRead(head);
    if (head.interim()) {
      return true; // the final head follows
    }
    switch (head.body()) {
      case NONE -> end(ctx, in);
      case LENGTH -> {
        remaining = head.contentLength();
        state = State.LENGTH;
        if (remaining == 0) {
          end(ctx, in);
        }
      }
      case CHUNKED -> state = State.CHUNK_SIZE;
      case UNTIL_CLOSE -> state = State.UNTIL_CLOSE;
    }
    return true;
  }

  /**
   * One response is complete. Bytes after it, while no request is outstanding, break the protocol
   * (this edge never pipelines requests to an upstream): the connection is closed.
   */
  private void end(ChannelHandlerContext ctx, ByteBuf in) {
    state = State.HEAD;
    headRequest = false;
    ctx.fireChannelRead(END);
    if (in.isReadable() && state == State.HEAD) {
      throw new MalformedResponse("bytes after the end of a response");
    }
  }

  /** The size of a chunk from its line (hex digits, then optional extensions after ';'). */
  private static long chunkSize(ByteBuf in, int lf) {
    long size = 0;
    int digits = 0;
    for (int i = in.readerIndex(); i < lf; i++) {
      byte b = in.getByte(i);
      int value = Character.digit(b, 16);
      if (value >= 0) {
        if (++digits > 15) {
          throw new MalformedResponse("a chunk size out of range");
        }
        size = size * 16 + value;
      } else if (b == ';' || b == ' ' || b == '\t' || (b == '\r' && i == lf - 1)) {
        break;
      } else {
        throw new MalformedResponse("malformed chunk size");
      }
    }
    if (digits == 0) {
      throw new MalformedResponse("malformed chunk size");
    }
    return size;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseCarried();
    if (state == State.UNTIL_CLOSE) {
      state = State.HEAD;
      ctx.fireChannelRead(END); // a body delimited by the close is complete
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseCarried();
  }

  private void releaseCarried() {
    ByteBuf left = carried;
    carried = null;
    if (left != null) {
      left.release();
    }
  }
}
