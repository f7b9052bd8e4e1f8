package io.github.shimmypull.core.pull.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * sha256 of a file being downloaded, computed right behind the contiguous prefix that is on disk:
 * the fetcher whose bytes continue the hashed prefix hashes them from its buffer as they stream
 * ({@link #offer}); bytes that arrived ahead of the prefix (later parts) are read back from the
 * file, usually still in the page cache, by this hasher's own thread once the prefix reaches them.
 * Stopped by a flag, never interrupted (an interrupt during a read would close the shared channel).
 */
final class StreamingSha256 implements Runnable {

  private static final int READ_BUFFER = 1024 * 1024;

  private final FileChannel ch;
  private final PartPlan plan;
  private final long size;
  private final Object lock = new Object();
  private final MessageDigest md = sha256();
  private long hashed;
  private volatile boolean stopped;
  private volatile @Nullable String result;
  private volatile @Nullable IOException error;

  StreamingSha256(FileChannel ch, PartPlan plan, long size) {
    this.ch = ch;
    this.plan = plan;
    this.size = size;
  }

  /** Hashes {@code data} (file bytes from {@code pos}) if they continue the hashed prefix. */
  void offer(long pos, ByteBuffer data) {
    synchronized (lock) {
      if (hashed == pos && !stopped) {
        int n = data.remaining();
        md.update(data);
        hashed += n;
      }
    }
  }

  /** Wakes the hasher's thread: the prefix on disk may have grown past what was offered. */
  void signal() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  void stop() {
    stopped = true;
    signal();
  }

  /** The lower-case hex sha256 once the whole file was hashed, else null. */
  @Nullable String result() {
    return result;
  }

  /** Why reading the file back failed, if it did. */
  @Nullable IOException error() {
    return error;
  }

  @Override
  public void run() {
    ByteBuffer buf = ByteBuffer.allocate(READ_BUFFER);
    try {
      while (!stopped) {
        long start;
        synchronized (lock) {
          start = hashed;
          if (start >= size) {
            result = HexFormat.of().formatHex(md.digest());
            return;
          }
          if (plan.frontier(size) <= start) {
            lock.wait(50);
            continue;
          }
        }
        long frontier = plan.frontier(size);
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), frontier - start));
        int n = ch.read(buf, start);
        if (n <= 0) {
          throw new EOFException("partial shorter than its recorded progress");
        }
        synchronized (lock) {
          if (hashed == start) {
            md.update(buf.array(), 0, n);
            hashed += n;
          }
        }
      }
    } catch (IOException e) {
      if (!stopped) {
        error = e;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
