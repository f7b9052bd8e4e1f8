package io.github.shimmypull.core.proxy.internal;

import io.github.shimmypull.core.routing.internal.BodyScanner;
import java.io.IOException;
import java.io.InputStream;
import okhttp3.MediaType;
import okio.Buffer;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;

/**
 * The body of a request routed by its model: the prefix already read from the client (to find
 * {@code model}), as rewritten for the instance, then the rest streamed from the client as it
 * arrives. While {@code "stream":false} may still have to be inserted (the body is longer than the
 * prefix and no {@code stream} was seen yet), the rest is scanned on its way and the field goes in
 * before the closing brace; the length is then unknown and the body is sent chunked.
 */
public final class RoutedRequestBody extends ClientRequestBody {

  private static final int READ_SIZE = 16 * 1024;

  private final byte[] head;
  private final @Nullable InputStream rest;
  private final long restOffset;
  private final BodyScanner scanner;
  private final boolean insertStream;
  private final long contentLength;
  private volatile boolean consumed;
  private volatile @Nullable IOException clientFailure;

  /**
   * @param head the prefix as forwarded
   * @param rest the rest of the client's body, or null when the prefix is all of it
   * @param restOffset the body offset where {@code rest} starts
   * @param scanner the scanner fed the prefix
   * @param insertStream whether {@code "stream":false} goes in when the body has no {@code stream}
   * @param contentLength the forwarded length, or -1 when unknown
   */
  public RoutedRequestBody(
      byte[] head,
      @Nullable InputStream rest,
      long restOffset,
      BodyScanner scanner,
      boolean insertStream,
      long contentLength) {
    this.head = head;
    this.rest = rest;
    this.restOffset = restOffset;
    this.scanner = scanner;
    this.insertStream = insertStream;
    this.contentLength = contentLength;
  }

  @Override
  public @Nullable MediaType contentType() {
    return null; // the client's Content-Type is forwarded with the other headers
  }

  @Override
  public long contentLength() {
    return contentLength;
  }

  @Override
  public boolean isOneShot() {
    return rest != null;
  }

  @Override
  public boolean consumed() {
    return consumed;
  }

  @Override
  public @Nullable IOException clientFailure() {
    return clientFailure;
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    sink.write(head);
    sink.flush();
    InputStream source = rest;
    if (source == null) {
      return;
    }
    Buffer buffer = sink.getBuffer();
    byte[] bytes = ProxyBuffers.get();
    long offset = restOffset;
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
      if (scanner.streamInsertionPending(insertStream)) {
        scanner.feed(bytes, 0, read);
        byte[] forwarded = scanner.forwarded(bytes, 0, read, offset, null, insertStream);
        buffer.write(forwarded);
      } else {
        buffer.write(bytes, 0, read);
      }
      offset += read;
      sink.flush();
    }
  }
}
