package io.github.shimmypull.core.doubles;

import io.github.shimmypull.testkit.RawUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import mockwebserver3.MockWebServer;

/**
 * The servers one test starts on 127.0.0.1 (mock upstreams, scripted TCP upstreams, fronts), closed
 * together after it, the last started first.
 */
public final class TestServers implements AutoCloseable {

  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  /** Closes {@code closeable} with the others; returns it. */
  public <T extends AutoCloseable> T track(T closeable) {
    started.push(closeable);
    return closeable;
  }

  /** A started MockWebServer on 127.0.0.1. */
  public MockWebServer mock() throws IOException {
    MockWebServer server = new MockWebServer();
    server.start(InetAddress.getByName("127.0.0.1"), 0);
    return track(server);
  }

  /** A started {@link RawUpstream} running {@code script} on each connection. */
  public RawUpstream raw(RawUpstream.Script script) throws IOException {
    return track(RawUpstream.start(script));
  }

  /** {@code http://127.0.0.1:PORT} of {@code server}. */
  public static URI base(MockWebServer server) {
    return URI.create("http://127.0.0.1:" + server.getPort());
  }

  @Override
  public void close() throws Exception {
    while (!started.isEmpty()) {
      started.pop().close();
    }
  }
}
