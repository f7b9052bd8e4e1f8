package io.github.shimmypull.core.edge.internal;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.jspecify.annotations.Nullable;

/**
 * The socket transport of the edge: Netty's native io_uring transport when its library is on the
 * class path (the server jar bundles it for Linux x86-64) and the kernel lets the process use
 * io_uring, else Java NIO, which runs everywhere. io_uring batches the reads and writes of an event
 * loop's turn into one system call, so a forwarded request costs less CPU in the kernel and in the
 * JVM (docs/benchmarks.md). Netty's {@code -Dio.netty.transport.noNative=true} forces NIO.
 *
 * @param name {@code io_uring} or {@code nio}, for the start-up log
 * @param handlers the event loops' I/O handlers
 * @param serverChannel the listening socket's channel type
 * @param socketChannel the channel type of connections to upstreams
 * @param fallbackCause why io_uring is not used, or null when it is (or was never on the class
 *     path)
 */
public record Transport(
    String name,
    IoHandlerFactory handlers,
    Class<? extends ServerChannel> serverChannel,
    Class<? extends SocketChannel> socketChannel,
    @Nullable String fallbackCause) {

  /** The best transport this JVM can use, chosen once. */
  public static final Transport BEST = best();

  /** Java NIO: no native code. */
  static Transport nio(@Nullable String fallbackCause) {
    return new Transport(
        "nio",
        NioIoHandler.newFactory(),
        NioServerSocketChannel.class,
        NioSocketChannel.class,
        fallbackCause);
  }

  private static Transport best() {
    try {
      Class.forName("io.netty.channel.uring.IoUring", false, Transport.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError absent) {
      return nio(null);
    }
    try {
      return IoUringTransport.create();
    } catch (RuntimeException | LinkageError unavailable) {
      return nio("io_uring is unavailable: " + unavailable);
    }
  }

  /** Kept apart so that the io_uring classes load only when they are on the class path. */
  private static final class IoUringTransport {
    static Transport create() {
      if (!io.netty.channel.uring.IoUring.isAvailable()) {
        Throwable cause = io.netty.channel.uring.IoUring.unavailabilityCause();
        return nio("io_uring is unavailable: " + cause);
      }
      return new Transport(
          "io_uring",
          io.netty.channel.uring.IoUringIoHandler.newFactory(),
          io.netty.channel.uring.IoUringServerSocketChannel.class,
          io.netty.channel.uring.IoUringSocketChannel.class,
          null);
    }
  }
}
