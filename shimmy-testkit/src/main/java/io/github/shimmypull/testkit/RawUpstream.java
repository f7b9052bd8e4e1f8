package io.github.shimmypull.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A bare TCP server on 127.0.0.1 that runs a script on each accepted connection: the upstream of
 * proxy tests that must misbehave at the byte level (answer half a body, close mid-stream, hold a
 * chunk back). Also the raw-socket client helpers those tests share.
 */
public final class RawUpstream implements AutoCloseable {

  /** What the server does with one connection; it is closed when the script returns or throws. */
  public interface Script {
    void run(Socket socket) throws IOException;
  }

  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  private RawUpstream(ServerSocket server) {
    this.server = server;
  }

  public static RawUpstream start(Script script) throws IOException {
    RawUpstream upstream =
        new RawUpstream(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
    upstream.threads.submit(
        () -> {
          while (!upstream.server.isClosed()) {
            try {
              Socket socket = upstream.server.accept();
              upstream.threads.submit(
                  () -> {
                    try (socket) {
                      script.run(socket);
                    } catch (IOException ignored) {
                      // scripts end connections abruptly on purpose
                    }
                  });
            } catch (IOException e) {
              return;
            }
          }
        });
    return upstream;
  }

  public int port() {
    return server.getLocalPort();
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + port());
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }

  /** A URL on a port nobody listens on. */
  public static URI deadUrl() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }
  }

  /** Reads up to and including the blank line that ends a request or response head. */
  public static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b == -1) {
        throw new IOException("connection closed in the head");
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(UTF_8);
  }

  /** Sends a raw request and reads the response until the server closes the connection. */
  public static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(request.getBytes(UTF_8));
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(received);
      return received.toString(UTF_8);
    }
  }
}
