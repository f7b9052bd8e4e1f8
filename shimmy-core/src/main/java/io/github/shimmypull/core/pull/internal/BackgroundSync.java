package io.github.shimmypull.core.pull.internal;

import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progressive sync: fsyncs a partial download on its own thread each time {@code everyBytes} more
 * were written, so the fsync before publishing finds little dirty data. Stopped by a flag, never
 * interrupted (an interrupt during {@code force} would close the shared channel). A failure here is
 * left to the final {@code force}, which reports it.
 */
final class BackgroundSync implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(BackgroundSync.class);

  private final FileChannel ch;
  private final LongSupplier written;
  private final long everyBytes;
  private final @Nullable Counter syncedCounter;
  private final String name;
  private final Object lock = new Object();
  private volatile boolean stopped;

  /**
   * @param written bytes written so far (the download's completed count)
   * @param everyBytes bytes between two fsyncs; 0 never syncs
   * @param syncedCounter counts the bytes each background fsync made durable
   */
  BackgroundSync(
      FileChannel ch,
      LongSupplier written,
      long everyBytes,
      @Nullable Counter syncedCounter,
      String name) {
    this.ch = ch;
    this.written = written;
    this.everyBytes = everyBytes;
    this.syncedCounter = syncedCounter;
    this.name = name;
  }

  void stop() {
    stopped = true;
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  @Override
  public void run() {
    long synced = written.getAsLong();
    try {
      while (!stopped && everyBytes > 0) {
        long now = written.getAsLong();
        if (now - synced >= everyBytes) {
          ch.force(false);
          if (syncedCounter != null) {
            syncedCounter.increment(now - synced);
          }
          synced = now;
          continue;
        }
        synchronized (lock) {
          lock.wait(20);
        }
      }
    } catch (IOException e) {
      if (!stopped) {
        log.debug(
            "{}: background fsync failed ({}); the final fsync will report it", name, e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
