package io.github.shimmypull.core.edge.internal;

import io.netty.channel.Channel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Idle keep-alive connections to upstreams (Shimmy instances and the application), one pool per
 * event loop and only ever touched from that loop's thread, so a front connection and the upstream
 * connection it uses share a thread and need no locking. A connection that closes while idle
 * removes itself; one idle for longer than {@link #MAX_IDLE} is closed instead of reused, so a
 * request does not race the upstream's own idle timeout (Jetty's default is 30 s).
 */
public final class UpstreamPool {

  /** Idle connections kept per upstream address and event loop; extra ones are closed. */
  static final int MAX_IDLE_PER_ADDRESS = 128;

  /** How long an idle connection may be reused: 20 s, below Jetty's 30 s idle timeout. */
  static final Duration MAX_IDLE = Duration.ofSeconds(20);

  private final Map<URI, ArrayDeque<Idle>> idle = new HashMap<>();
  private final long maxIdleNanos;
  private final LongSupplier nanoTime;

  public UpstreamPool() {
    this(MAX_IDLE, System::nanoTime);
  }

  UpstreamPool(Duration maxIdle, LongSupplier nanoTime) {
    this.maxIdleNanos = maxIdle.toNanos();
    this.nanoTime = nanoTime;
  }

  /** The most recently used idle, open and fresh connection to {@code address}, or null. */
  @Nullable Channel take(URI address) {
    ArrayDeque<Idle> channels = idle.get(address);
    if (channels == null) {
      return null;
    }
    long now = nanoTime.getAsLong();
    Idle candidate;
    while ((candidate = channels.pollLast()) != null) {
      if (candidate.channel.isActive() && now - candidate.since <= maxIdleNanos) {
        closeExpired(channels, now);
        return candidate.channel;
      }
      candidate.channel.close();
    }
    return null;
  }

  /** Keeps {@code channel} for the next request to {@code address}. */
  void offer(URI address, Channel channel) {
    ArrayDeque<Idle> channels = idle.computeIfAbsent(address, key -> new ArrayDeque<>());
    if (channels.size() >= MAX_IDLE_PER_ADDRESS || !channel.isActive()) {
      channel.close();
      return;
    }
    channels.addLast(new Idle(channel, nanoTime.getAsLong()));
  }

  /** Forgets {@code channel} (it closed). */
  void remove(URI address, Channel channel) {
    ArrayDeque<Idle> channels = idle.get(address);
    if (channels != null) {
      channels.removeIf(entry -> entry.channel == channel);
    }
  }

  /** The least recently used connections sit at the front; close those idle for too long. */
  private void closeExpired(ArrayDeque<Idle> channels, long now) {
    Iterator<Idle> oldestFirst = channels.iterator();
    while (oldestFirst.hasNext()) {
      Idle entry = oldestFirst.next();
      if (now - entry.since <= maxIdleNanos) {
        return;
      }
      oldestFirst.remove();
      entry.channel.close();
    }
  }

  private record Idle(Channel channel, long since) {}
}
