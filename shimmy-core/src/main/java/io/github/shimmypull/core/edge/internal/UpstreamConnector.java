package io.github.shimmypull.core.edge.internal;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * Opens upstream connections (to a Shimmy instance or the application) on the client connection's
 * own event loop, so both share a thread: read timeout, the {@link UpstreamResponseDecoder} that
 * reads answers as bytes (requests are written as bytes), and the {@link UpstreamHandler} that
 * returns the connection to the loop's {@link UpstreamPool}.
 */
final class UpstreamConnector {

  private UpstreamConnector() {}

  static ChannelFuture connect(
      EventLoop loop, URI address, EdgeSettings settings, UpstreamPool pool) {
    return new Bootstrap()
        .group(loop)
        .channel(Transport.BEST.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(
            ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel channel) {
                UpstreamResponseDecoder decoder = new UpstreamResponseDecoder();
                channel
                    .pipeline()
                    .addLast(
                        new IdleStateHandler(
                            settings.readTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                        decoder,
                        new UpstreamHandler(pool, address, decoder));
              }
            })
        .connect(address.getHost(), address.getPort() < 0 ? 80 : address.getPort());
  }
}
