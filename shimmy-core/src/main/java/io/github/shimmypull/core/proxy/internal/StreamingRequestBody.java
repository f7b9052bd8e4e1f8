package io.github.shimmypull.core.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
import okhttp3.MediaType;
import okio.Buffer;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * A one-shot request body that streams the client's request body to the upstream as it arrives:
 * each read from the client is written to the upstream socket and flushed, never buffered whole. It
 * records whether any byte was taken from the client (then a retry is no longer safe) and whether
 * the client side failed (then the failure is the client's, not the upstream's).
 */
public final class StreamingRequestBody extends ClientRequestBody {

  private static final int READ_SIZE = 16 * 1024;

  private final InputStream source;
  private final long contentLength;
  private volatile boolean consumed;
  private volatile @Nullable IOException clientFailure;

  /**
   * @param source the client's request body
   * @param contentLength the client's {@code Content-Length}, or -1 when unknown (chunked)
   */
  public StreamingRequestBody(InputStream source, long contentLength) {
    this.source = source;
    this.contentLength = contentLength;
  }

  @Override
  public @Nullable MediaType contentType() {
    // The client's Content-Type header is forwarded verbatim with the other headers.
    return null;
  }

  @Override
  public long contentLength() {
    return contentLength;
  }

  @Override
  public boolean isOneShot() {
    return true;
  }

  /** True once a byte (or the end of the stream) was read from the client. */
  @Override
  public boolean consumed() {
    return consumed;
  }

  /** The failure reading from the client, if that is what failed; else null. */
  @Override
  public @Nullable IOException clientFailure() {
    return clientFailure;
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    Buffer buffer = sink.getBuffer();
    byte[] bytes = ProxyBuffers.get();
    while (true) {
      int read;
      try {
        read = source.read(bytes, 0, Math.min(bytes.length, READ_SIZE));
      } catch (IOException e) {
        clientFailure = e;
        throw e;
      }
      consumed = true;
      if (read == -1) {
        break;
      }
      buffer.write(bytes, 0, read);
      sink.flush();
    }
  }
}
