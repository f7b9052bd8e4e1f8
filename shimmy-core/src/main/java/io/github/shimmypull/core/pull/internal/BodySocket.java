package io.github.shimmypull.core.pull.internal;

import java.io.IOException;
import java.net.Socket;
import okhttp3.Interceptor;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * The socket a download's body arrives on, so that a fetcher can tell whether more bytes are
 * already waiting: okio reads a socket 8 KiB at a time, and writing each 8 KiB to the file costs a
 * syscall and the progress bookkeeping every time. A fetcher keeps filling its buffer while the
 * socket has bytes ready and writes as soon as it would have to wait, so bytes that arrived before
 * a stall are on disk, and counted, during the stall. Attached to a download request as its tag;
 * {@link #INTERCEPTOR} (a network interceptor on the puller's client) fills it in.
 */
public final class BodySocket {

  /** Records the connection's socket in the request's {@code BodySocket} tag, if it has one. */
  public static final Interceptor INTERCEPTOR =
      chain -> {
        BodySocket holder = chain.request().tag(BodySocket.class);
        if (holder != null && chain.connection() != null) {
          holder.socket = chain.connection().socket();
        }
        return chain.proceed(chain.request());
      };

  // package-private for tests
  volatile @Nullable Socket socket;

  /** Tags {@code request} with a new holder. */
  static Request.Builder attach(Request.Builder request) {
    return request.tag(BodySocket.class, new BodySocket());
  }

  /**
   * Whether bytes can be read from the socket without waiting (plain HTTP/1.1: what the kernel
   * holds; TLS: what is decrypted and buffered). False when unknown.
   */
  boolean readable() {
    Socket s = socket;
    if (s == null) {
      return false;
    }
    try {
      return s.getInputStream().available() > 0;
    } catch (IOException e) {
      return false;
    }
  }
}
