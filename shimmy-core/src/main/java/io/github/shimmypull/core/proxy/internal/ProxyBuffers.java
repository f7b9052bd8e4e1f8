package io.github.shimmypull.core.proxy.internal;

/**
 * One copy buffer per thread for the proxy (32 KiB), so forwarding allocates no buffer per request.
 * A request body and a response body of one exchange are copied one after the other on the same
 * thread, never at once, so they can share it.
 */
public final class ProxyBuffers {

  /** The buffer size: large enough for bulk copies, small enough for hundreds of threads. */
  public static final int SIZE = 32 * 1024;

  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[SIZE]);

  private ProxyBuffers() {}

  /** This thread's buffer. */
  public static byte[] get() {
    return BUFFERS.get();
  }
}
