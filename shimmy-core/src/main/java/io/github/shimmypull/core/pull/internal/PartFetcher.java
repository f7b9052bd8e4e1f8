package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.pull.PullCancellation;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.Protocol;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches parts of one file with ranged GETs and writes them into the partial at their offsets,
 * continuing each part from its last byte on disk. A part is retried on transient failures (the Hub
 * client's policy); when the attempts made progress and the failure is still transient ({@link
 * Reason#transientFailure()}), it gets a fresh set of attempts. A server that ignores or garbles
 * {@code Range} raises {@link StartOverException}.
 */
final class PartFetcher {

  /** Receives the bytes of a part right after they were written to the partial. */
  interface Sink {
    /**
     * {@code bytes} (positioned at their start) were written at {@code pos} of the file, in {@code
     * part}.
     */
    void written(int part, long pos, ByteBuffer bytes);
  }

  private static final Logger log = LoggerFactory.getLogger(PartFetcher.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

  private final HubClient hub;
  private final PinnedFile file;
  private final FileChannel ch;
  private final PartPlan plan;
  private final PullCancellation cancellation;
  private final Sink sink;

  PartFetcher(
      HubClient hub,
      PinnedFile file,
      FileChannel ch,
      PartPlan plan,
      PullCancellation cancellation,
      Sink sink) {
    this.hub = hub;
    this.file = file;
    this.ch = ch;
    this.plan = plan;
    this.cancellation = cancellation;
    this.sink = sink;
  }

  /**
   * Downloads what is missing of {@code part} through {@code buf}; {@code calls} receives each call
   * so that a cancel can abort it in flight.
   */
  void fetch(int part, ByteBuffer buf, Consumer<Call> calls) {
    long start = plan.start(part);
    long end = plan.end(part);
    String what =
        "download "
            + file.repo()
            + "/"
            + file.file().path()
            + " part "
            + part
            + " ["
            + start
            + "-"
            + end
            + "]";
    while (true) {
      long before = plan.done(part);
      try {
        hub.withRetry(
            what,
            cancellation::isCancelled,
            () -> {
              fetchOnce(part, buf, calls);
              return Boolean.TRUE;
            });
        return;
      } catch (PullException e) {
        if (e.reason().transientFailure()
            && plan.done(part) > before
            && !cancellation.isCancelled()) {
          log.info(
              "{}: attempts made progress ({} bytes), retrying again",
              what,
              plan.done(part) - before);
          continue;
        }
        throw e;
      }
    }
  }

  private void fetchOnce(int part, ByteBuffer buf, Consumer<Call> calls) throws IOException {
    long end = plan.end(part);
    long pos = plan.start(part) + plan.done(part);
    if (pos > end) {
      return;
    }
    try (Response r =
        hub.openDownload(
            file.repo(), file.commit(), file.file().path(), pos, end, cancellation, calls)) {
      if (r.code() == 200) {
        if (pos != 0 || end != file.size() - 1) {
          throw new StartOverException("the server ignored Range (200 instead of 206)");
        }
      } else {
        checkContentRange(r.header("Content-Range"), pos);
      }
      BufferedSource source = r.body().source();
      // HTTP/1: the socket carries this body alone, so its readiness says whether a read would wait
      BodySocket socket =
          r.protocol() == Protocol.HTTP_1_1 || r.protocol() == Protocol.HTTP_1_0
              ? r.request().tag(BodySocket.class)
              : null;
      long remaining = end - pos + 1;
      while (remaining > 0) {
        if (cancellation.isCancelled()) {
          throw new InterruptedIOException("cancelled");
        }
        buf.clear();
        if (remaining < buf.capacity()) {
          buf.limit((int) remaining);
        }
        try {
          while (buf.hasRemaining()) {
            int read = source.read(buf);
            if (read < 0) {
              break;
            }
            if (source.getBuffer().size() == 0 && (socket == null || !socket.readable())) {
              break; // nothing more without waiting: write what arrived first
            }
          }
        } catch (IOException e) {
          if (buf.position() > 0) {
            pos = write(part, buf, pos); // keep what arrived before the failure for the retry
          }
          throw e;
        }
        int got = buf.position();
        if (got == 0) {
          throw new EOFException("body of " + file.name() + " ended " + remaining + " bytes early");
        }
        pos = write(part, buf, pos);
        remaining -= got;
      }
    }
  }

  /**
   * Writes the bytes read into {@code buf} at {@code pos}, hands them to the sink, returns the next
   * position.
   */
  private long write(int part, ByteBuffer buf, long pos) {
    buf.flip();
    int got = buf.remaining();
    writeFully(buf, pos);
    buf.flip();
    sink.written(part, pos, buf);
    return pos + got;
  }

  private void checkContentRange(@Nullable String header, long pos) {
    Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.trim());
    if (m == null || !m.matches()) {
      throw new StartOverException("206 without a valid Content-Range (" + header + ")");
    }
    if (HubClient.size(m.group(1), "Content-Range (" + header + ")") != pos) {
      throw new StartOverException("206 for the wrong range (" + header + ", wanted " + pos + "-)");
    }
    HubClient.size(m.group(2), "Content-Range (" + header + ")");
    if (!m.group(3).equals("*")
        && HubClient.size(m.group(3), "Content-Range (" + header + ")") != file.size()) {
      throw new PullException(
          Reason.INTEGRITY,
          file.name()
              + " is "
              + m.group(3)
              + " bytes on the CDN but the Hub announced "
              + file.size());
    }
  }

  private void writeFully(ByteBuffer buf, long pos) {
    long at = pos;
    try {
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
    } catch (IOException e) {
      throw PullStore.local("cannot write the partial download", e);
    }
  }
}
