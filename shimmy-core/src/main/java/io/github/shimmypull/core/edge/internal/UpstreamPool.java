package io.github.shimmypull.core.edge.internal;

import io.netty.channel.Channel;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Idle keep-alive connections to upstreams (Shimmy instances and the application), one pool per
 * event loop and only ever touched from that loop's thread, so a front connection and the
 * upstream connection it uses share a thread and need no locking. A connection that closes while
 * idle removes itself.
 */
public final class UpstreamPool {

  /** Idle connections kept per upstream address and event loop; extra ones are closed. */
  static final int MAX_IDLE_PER_ADDRESS = 128;

  private final Map<URI, ArrayDeque<Channel>> idle = new HashMap<>();

  /** An idle, still open connection to {@code address}, or null when there is none. */
  @Nullable Channel take(URI address) {
    ArrayDeque<Channel> channels = idle.get(address);
    if (channels == null) {
      return null;
    }
    Channel channel;
    while ((channel = channels.pollLast()) != null) {
      if (channel.isActive()) {
        return channel;
      }
      channel.close();
    }
    return null;
  }

  /** Keeps {@code channel} for the next request to {@code address}. */
  void offer(URI address, Channel channel) {
    ArrayDeque<Channel> channels = idle.computeIfAbsent(address, key -> new ArrayDeque<>());
    if (channels.size() >= MAX_IDLE_PER_ADDRESS || !channel.isActive()) {
      channel.close();
      return;
    }
    channels.addLast(channel);
  }

  /** Forgets {@code channel} (it closed, or is being used). */
  void remove(URI address, Channel channel) {
    ArrayDeque<Channel> channels = idle.get(address);
    if (channels != null) {
      channels.remove(channel);
    }
  }
}
