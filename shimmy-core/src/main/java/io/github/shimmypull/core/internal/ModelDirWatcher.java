package io.github.shimmypull.core.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices files that appear in, change in or vanish from a model directory by other means (copied
 * in, another replica on a shared volume, an init container), through a {@link WatchService} plus a
 * periodic scan as fallback (network file systems send no events). Hidden entries such as {@code
 * .shimmy-pull/} are ignored.
 *
 * <p>A change is handed on only once it is stable: two snapshots (names, sizes, modification times)
 * taken {@code debounce} apart must agree, so a file still being copied is not reported half-way.
 * The callback answers whether it handled the change; if not (a pull runs, the lock is busy) the
 * change is offered again at the next scan.
 */
public final class ModelDirWatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelDirWatcher.class);

  private final Path dir;
  private final Duration debounce;
  private final Duration scanInterval;
  private final BooleanSupplier onStableChange;
  private final ScheduledExecutorService scheduler;
  private final AtomicBoolean checkPending = new AtomicBoolean();
  private volatile @Nullable WatchService watchService;
  private @Nullable Thread watchThread;
  private Map<String, List<Long>> lastSeen;
  private Map<String, List<Long>> handled;

  public ModelDirWatcher(
      Path dir, Duration debounce, Duration scanInterval, BooleanSupplier onStableChange) {
    this.dir = dir;
    this.debounce = debounce;
    this.scanInterval = scanInterval;
    this.onStableChange = onStableChange;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("shimmy-model-dir-scan"));
    this.lastSeen = snapshot();
    this.handled = lastSeen;
  }

  /** Starts watching and scanning. */
  public synchronized void start() {
    try {
      WatchService ws = dir.getFileSystem().newWatchService();
      dir.register(
          ws,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_DELETE,
          StandardWatchEventKinds.ENTRY_MODIFY);
      watchService = ws;
      Thread t = DaemonThreads.thread(() -> watch(ws), "shimmy-model-dir-watch");
      t.start();
      watchThread = t;
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn(
          "cannot watch model directory {} ({}); relying on a scan every {}", dir, e, scanInterval);
    }
    long every = Math.max(1, scanInterval.toMillis());
    scheduler.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Records the directory as it is now as handled (after our own pull or delete refreshed the
   * supervisor).
   */
  public synchronized void markHandled() {
    lastSeen = snapshot();
    handled = lastSeen;
  }

  private void watch(WatchService ws) {
    try {
      while (true) {
        WatchKey key = ws.take();
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          Object context = event.context();
          if (event.kind() == StandardWatchEventKinds.OVERFLOW
              || (context instanceof Path p && !p.getFileName().toString().startsWith("."))) {
            relevant = true;
          }
        }
        if (relevant) {
          scheduleCheck();
        }
        if (!key.reset()) {
          LOG.warn("model directory {} is no longer watched; relying on the periodic scan", dir);
          return;
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void scheduleCheck() {
    if (checkPending.compareAndSet(false, true)) {
      scheduler.schedule(this::check, Math.max(1, debounce.toMillis()), TimeUnit.MILLISECONDS);
    }
  }

  private void check() {
    checkPending.set(false);
    try {
      Map<String, List<Long>> now = snapshot();
      synchronized (this) {
        if (!now.equals(lastSeen)) {
          lastSeen = now;
          scheduleCheck();
          return;
        }
        if (now.equals(handled)) {
          return;
        }
      }
      if (onStableChange.getAsBoolean()) {
        synchronized (this) {
          handled = now;
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("reconciling model directory {} failed: {}", dir, e.toString());
    }
  }

  private Map<String, List<Long>> snapshot() {
    Map<String, List<Long>> files = new TreeMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith(".")) {
          continue;
        }
        try {
          BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class);
          if (attrs.isRegularFile()) {
            files.put(name, List.of(attrs.size(), attrs.lastModifiedTime().toMillis()));
          }
        } catch (IOException vanished) {
          files.remove(name);
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot list {}: {}", dir, e.toString());
    }
    return files;
  }

  @Override
  public synchronized void close() {
    scheduler.shutdownNow();
    WatchService ws = watchService;
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException ignored) {
        // closing is best effort
      }
    }
    if (watchThread != null) {
      watchThread.interrupt();
    }
  }
}
