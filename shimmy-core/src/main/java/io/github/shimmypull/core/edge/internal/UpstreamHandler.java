package io.github.shimmypull.core.edge.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/**
 * The last handler of an upstream connection: hands what the upstream sends to the exchange bound
 * to it, and closes the connection when something arrives while none is (an idle pooled connection
 * must stay silent). Idle pooled connections close on the read timeout.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

  private final UpstreamPool pool;
  private final URI address;
  private final UpstreamResponseDecoder decoder;
  private @Nullable UpstreamListener listener;

  UpstreamHandler(UpstreamPool pool, URI address, UpstreamResponseDecoder decoder) {
    this.pool = pool;
    this.address = address;
    this.decoder = decoder;
  }

  static UpstreamHandler of(Channel channel) {
    return channel.pipeline().get(UpstreamHandler.class);
  }

  URI address() {
    return address;
  }

  /**
   * Binds the exchange whose request goes out next; the answer to a HEAD request has no body
   * whatever it declares.
   */
  void bind(UpstreamListener exchange, boolean headRequest) {
    this.listener = exchange;
    decoder.expect(headRequest);
  }

  /** Unbinds the exchange; keeps the connection for the next request when {@code reusable}. */
  void unbind(Channel channel, boolean reusable) {
    listener = null;
    channel.config().setAutoRead(true);
    if (reusable) {
      pool.offer(address, channel);
    } else {
      channel.close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    UpstreamListener current = listener;
    if (current == null) {
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    current.upstreamRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    UpstreamListener current = listener;
    if (current != null) {
      current.upstreamReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    UpstreamListener current = listener;
    if (current != null) {
      current.upstreamWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    pool.remove(address, ctx.channel());
    fail("the upstream closed the connection");
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail("upstream connection failed: " + cause);
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      fail("the upstream sent nothing for the read timeout");
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(event);
  }

  private void fail(String why) {
    UpstreamListener current = listener;
    listener = null;
    if (current != null) {
      current.upstreamFailed(why);
    }
  }
}
