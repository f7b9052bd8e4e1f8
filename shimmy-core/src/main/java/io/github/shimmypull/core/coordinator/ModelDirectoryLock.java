package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.internal.Json;
import io.github.shimmypull.core.pull.ModelDirCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one-operation-at-a-time lock of a model directory, across threads and processes: an
 * in-process owner plus {@link FileChannel#tryLock()} on {@code
 * <model-dir>/.shimmy-pull/pull.lock}. While held, the lock file names the holder (pid, what it
 * does, since when) as JSON so that a second process can say who is busy. The file is never deleted
 * (that would race with lockers).
 *
 * <p>{@link PullCoordinator} takes it for every pull, delete and preload; a tool that writes into
 * the same model directory from another process (the server jar's {@code pull} command) takes it
 * too, so the two never publish at the same time.
 *
 * <pre>{@code
 * ModelDirectoryLock lock = new ModelDirectoryLock(modelDir);
 * try (ModelDirectoryLock.Held held = lock.acquire(Map.of("operation", "pull"), Duration.ofMinutes(5))) {
 *   if (held == null) { ... busy with lock.describeHolder() ... }
 * }
 * }</pre>
 */
public final class ModelDirectoryLock {

  /** The directory, under the model directory, that holds everything we write besides models. */
  public static final String STATE_DIR = ".shimmy-pull";

  private final Path lockFile;
  private @Nullable Held held;

  /** The lock of {@code modelDir} (nothing is created until the first acquire). */
  public ModelDirectoryLock(Path modelDir) {
    this.lockFile = modelDir.resolve(STATE_DIR).resolve("pull.lock");
  }

  /** {@code <model-dir>/.shimmy-pull/pull.lock}. */
  public Path lockFile() {
    return lockFile;
  }

  /**
   * Takes the lock if nobody (this or another process) holds it.
   *
   * @param holder JSON-friendly facts written into the lock file while held
   * @return the held lock, or null when it is busy
   * @throws UncheckedIOException when the lock file cannot be created or written
   */
  public synchronized @Nullable Held tryAcquire(Map<String, Object> holder) {
    if (held != null) {
      return null;
    }
    FileChannel channel = null;
    try {
      Files.createDirectories(lockFile.getParent());
      channel =
          FileChannel.open(
              lockFile,
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
      FileLock fileLock;
      try {
        fileLock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        fileLock = null;
      }
      if (fileLock == null) {
        channel.close();
        return null;
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(Json.write(holder).getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
      held = new Held(channel, fileLock);
      return held;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException(
          "cannot lock " + lockFile + ": " + ModelDirCheck.describe(e), e);
    }
  }

  /**
   * Polls {@link #tryAcquire} (every 100 ms) until it succeeds or {@code timeout} passes; null on
   * timeout. A zero timeout tries once.
   */
  public @Nullable Held acquire(Map<String, Object> holder, Duration timeout)
      throws InterruptedException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Held lock = tryAcquire(holder);
      if (lock != null || System.nanoTime() - deadline >= 0) {
        return lock;
      }
      Thread.sleep(100);
    }
  }

  /** Whether this instance holds the lock. */
  public synchronized boolean heldHere() {
    return held != null;
  }

  /** What the current holder wrote into the lock file; empty when unknown or free. */
  public Map<String, Object> describeHolder() {
    try {
      String text = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
      return text.isEmpty() ? Map.of() : Json.readObject(text);
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
  }

  private synchronized void release(Held lock) {
    if (held != lock) {
      return;
    }
    held = null;
    try {
      lock.channel.truncate(0);
      lock.fileLock.release();
    } catch (IOException e) {
      // the channel close below releases the lock as well
    } finally {
      closeQuietly(lock.channel);
    }
  }

  private static void closeQuietly(@Nullable FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more to release
      }
    }
  }

  /** A held lock; {@link #close()} releases it (idempotent). */
  public final class Held implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock fileLock;

    private Held(FileChannel channel, FileLock fileLock) {
      this.channel = channel;
      this.fileLock = fileLock;
    }

    @Override
    public void close() {
      release(this);
    }
  }
}
