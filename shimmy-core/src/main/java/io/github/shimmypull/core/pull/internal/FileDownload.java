package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.internal.DaemonThreads;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.internal.PullStore.Part;
import io.github.shimmypull.core.pull.internal.PullStore.Sidecar;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import okhttp3.Call;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one file into its partial under {@code .shimmy-pull/} and verifies it. The jobs are
 * split: {@link PartPlan} (which ranges, resumed from the sidecar), {@link PartFetcher} (ranged
 * GETs into the partial, retried), {@link StreamingSha256} (hash right behind the prefix on disk),
 * {@link BackgroundSync} (progressive fsync every {@link DownloadSettings#syncEveryBytes()}) and
 * {@link DownloadVerifier} (size, sha256, GGUF magic). This class runs them: the fetchers on up to
 * {@link DownloadSettings#connections()} threads, progress ticks and the sidecar on the calling
 * thread, cancel, and a start over from byte 0 when the server mishandles ranges. On a mismatch the
 * partial is deleted (INTEGRITY); on cancel or failure it is kept for a resume.
 */
public final class FileDownload {

  private static final Logger log = LoggerFactory.getLogger(FileDownload.class);
  private static final int IO_BUFFER = 256 * 1024;
  private static final long SIDECAR_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Called on the pulling thread: progress ticks (throttled by the caller) and phase changes. */
  public interface Listener {
    void progress(long completed, boolean force);

    void verifying();
  }

  private final HubClient hub;
  private final PullStore store;
  private final DownloadSettings settings;
  private final PinnedFile file;
  private final PullCancellation cancellation;
  private final String name;
  private final AtomicLong completed = new AtomicLong();

  public FileDownload(
      HubClient hub,
      PullStore store,
      DownloadSettings settings,
      PinnedFile file,
      PullCancellation cancellation) {
    this.hub = hub;
    this.store = store;
    this.settings = settings;
    this.file = file;
    this.cancellation = cancellation;
    this.name = file.name();
  }

  /** Bytes of this file on disk so far. */
  public long completed() {
    return completed.get();
  }

  /**
   * Downloads and verifies the file; afterwards its partial holds exactly the expected bytes
   * (fsynced) and can be published.
   */
  public void run(Listener listener) {
    store.ensureDirs();
    List<Part> plan = PartPlan.resumeOrFresh(store, file, settings);
    long resumed = plan.stream().mapToLong(Part::done).sum();
    if (resumed > 0) {
      log.info(
          "{}: resuming with {} of {} bytes on disk (commit {})",
          name,
          resumed,
          file.size(),
          file.commit());
      if (settings.resumedCounter() != null) {
        settings.resumedCounter().increment(resumed);
      }
    }
    int startOvers = 0;
    while (true) {
      try {
        attempt(new PartPlan(plan), listener);
        return;
      } catch (StartOverException e) {
        if (++startOvers > 2) {
          throw new PullException(
              Reason.UPSTREAM, "cannot download " + name + ": " + e.getMessage(), e);
        }
        log.warn("{}: {}; starting over from byte 0 over one connection", name, e.getMessage());
        store.discardPartial(name);
        plan = List.of(new Part(0, file.size() - 1, 0));
      }
    }
  }

  private void attempt(PartPlan plan, Listener listener) {
    int n = plan.count();
    completed.set(plan.bytesDone());
    Path partial = store.partial(name);
    try (FileChannel ch =
        FileChannel.open(
            partial,
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      if (ch.size() > file.size()) {
        ch.truncate(file.size());
      }
      saveSidecar(plan);
      StreamingSha256 hasher = new StreamingSha256(ch, plan, file.size());
      Thread hashThread = daemon(hasher, "shimmy-pull-sha256-" + name);
      BackgroundSync syncer =
          new BackgroundSync(
              ch, completed::get, settings.syncEveryBytes(), settings.syncedCounter(), name);
      daemon(syncer, "shimmy-pull-fsync-" + name);
      PartFetcher fetcher =
          new PartFetcher(
              hub,
              file,
              ch,
              plan,
              cancellation,
              (part, pos, bytes) -> {
                int got = bytes.remaining();
                hasher.offer(pos, bytes);
                plan.advance(part, got);
                completed.addAndGet(got);
                if (settings.bytesCounter() != null) {
                  settings.bytesCounter().increment(got);
                }
                hasher.progressed();
              });
      ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < n; i++) {
        if (!plan.finished(i)) {
          queue.add(i);
        }
      }
      int workers = Math.max(1, Math.min(settings.connections(), queue.size()));
      AtomicReferenceArray<Call> calls = new AtomicReferenceArray<>(workers);
      AtomicReference<RuntimeException> failure = new AtomicReference<>();
      CountDownLatch finished = new CountDownLatch(workers);
      AtomicInteger workerIds = new AtomicInteger();
      ExecutorService pool =
          Executors.newFixedThreadPool(
              workers, DaemonThreads.numbered("shimmy-pull-part-" + name + "-", workerIds));
      Runnable cancelCalls =
          () -> {
            for (int w = 0; w < calls.length(); w++) {
              Call c = calls.get(w);
              if (c != null) {
                c.cancel();
              }
            }
          };
      cancellation.onCancel(cancelCalls);
      try {
        for (int w = 0; w < workers; w++) {
          int worker = w;
          pool.execute(
              () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(IO_BUFFER);
                try {
                  Integer part;
                  while (failure.get() == null
                      && !cancellation.isCancelled()
                      && (part = queue.poll()) != null) {
                    fetcher.fetch(part, buf, c -> calls.set(worker, c));
                  }
                } catch (RuntimeException e) {
                  failure.compareAndSet(null, e);
                  cancelCalls.run();
                } finally {
                  finished.countDown();
                }
              });
        }
        long lastSave = System.nanoTime();
        boolean interrupted = false;
        while (finished.getCount() > 0) {
          try {
            finished.await(settings.waitMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            interrupted = true;
          }
          if (interrupted || cancellation.isCancelled()) {
            cancelCalls.run();
            pool.shutdownNow();
            awaitQuietly(finished);
            saveSidecar(plan);
            hasher.stop();
            if (interrupted) {
              Thread.currentThread().interrupt();
            }
            throw cancelled();
          }
          listener.progress(completed.get(), false);
          if (System.nanoTime() - lastSave > SIDECAR_EVERY_NANOS) {
            saveSidecar(plan);
            lastSave = System.nanoTime();
          }
        }
        saveSidecar(plan);
        RuntimeException failed = failure.get();
        if (failed != null) {
          hasher.stop();
          if (failed instanceof PullException p && p.reason() == Reason.CANCELLED
              || cancellation.isCancelled()) {
            throw cancelled();
          }
          throw failed;
        }
        if (cancellation.isCancelled()) {
          hasher.stop();
          throw cancelled();
        }
        listener.progress(completed.get(), true);
        listener.verifying();
        long bodyDone = System.nanoTime();
        String sha = awaitHash(hasher, hashThread);
        long hashDone = System.nanoTime();
        String problem = DownloadVerifier.problem(ch, file, sha);
        if (problem != null) {
          ch.close();
          store.discardPartial(name);
          log.error("{}: verification failed, partial deleted: {}", name, problem);
          throw new PullException(Reason.INTEGRITY, problem);
        }
        syncer.stop();
        long syncStart = System.nanoTime();
        ch.force(true);
        log.debug(
            "{}: after the last body byte, the hash took {} ms more, the final fsync {} ms",
            name,
            TimeUnit.NANOSECONDS.toMillis(hashDone - bodyDone),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - syncStart));
      } finally {
        pool.shutdownNow();
        hasher.stop();
        syncer.stop();
      }
    } catch (IOException e) {
      throw PullStore.local("cannot write " + partial, e);
    }
  }

  private String awaitHash(StreamingSha256 hasher, Thread thread) {
    while (thread.isAlive()) {
      try {
        thread.join(settings.waitMillis());
      } catch (InterruptedException e) {
        hasher.stop();
        Thread.currentThread().interrupt();
        throw cancelled();
      }
      if (cancellation.isCancelled()) {
        hasher.stop();
        throw cancelled();
      }
    }
    IOException error = hasher.error();
    if (error != null) {
      throw PullStore.local("cannot read back " + name + " for hashing", error);
    }
    String result = hasher.result();
    if (result == null) {
      throw cancelled();
    }
    return result;
  }

  private void saveSidecar(PartPlan plan) {
    store.writeSidecar(
        name,
        new Sidecar(
            file.repo(),
            file.commit(),
            file.file().path(),
            file.file().sha256(),
            file.size(),
            plan.parts()));
  }

  private PullException cancelled() {
    if (cancellation.discardPartial()) {
      store.discardPartial(name);
      return new PullException(
          Reason.CANCELLED, "pull of " + name + " cancelled; partial download discarded");
    }
    return new PullException(
        Reason.CANCELLED,
        "pull of " + name + " cancelled; " + completed.get() + " bytes kept for a resume");
  }

  private static Thread daemon(Runnable job, String threadName) {
    Thread t = DaemonThreads.thread(job, threadName);
    t.start();
    return t;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        log.warn("download workers did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
