package io.github.shimmypull.core.edge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;

class TransportTest {

  @Test
  void withoutNettysNativeIoUringLibraryTheEdgeFallsBackToNioAndSaysWhy() {
    // shimmy-core has Netty's io_uring classes (optional) but not its native library: the server
    // jar bundles that, and its tests check that the edge runs on io_uring there.
    assertThat(Transport.BEST.name()).isEqualTo("nio");
    assertThat(Transport.BEST.serverChannel()).isEqualTo(NioServerSocketChannel.class);
    assertThat(Transport.BEST.socketChannel()).isEqualTo(NioSocketChannel.class);
    assertThat(Transport.BEST.fallbackCause())
        .startsWith("io_uring is unavailable: ")
        .contains("UnsatisfiedLinkError");
  }
}
