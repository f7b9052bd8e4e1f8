package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.RemoteFile;
import io.github.shimmypull.core.pull.internal.PullStore.Part;
import io.github.shimmypull.core.pull.internal.PullStore.Sidecar;
import io.micrometer.core.instrument.Counter;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.Response;
import okio.BufferedSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one file into its partial under {@code .shimmy-pull/}: resumes the parts recorded in
 * the sidecar, fetches the missing ranges over up to {@code connections} parallel connections
 * (each part retried on transient failures, continuing from its last byte), hashes the file with
 * sha256 right behind the contiguous downloaded prefix and fsyncs in the background every {@code
 * syncEveryBytes}, then checks size, sha256 and GGUF magic.
 * On a mismatch the partial is deleted (INTEGRITY); on cancel or failure it is kept for a resume.
 */
public final class FileDownload {

  private static final Logger log = LoggerFactory.getLogger(FileDownload.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
  private static final int IO_BUFFER = 256 * 1024;
  private static final int HASH_BUFFER = 1024 * 1024;
  private static final long SIDECAR_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

  private static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);

  /** Called on the pulling thread: progress ticks (throttled by the caller) and phase changes. */
  public interface Listener {
    void progress(long completed, boolean force);

    void verifying();
  }

  private final HubClient hub;
  private final PullStore store;
  private final String repo;
  private final String commit;
  private final RemoteFile file;
  private final int connections;
  private final long partSize;
  private final java.time.Duration tick;
  private final PullCancellation cancellation;
  private final @Nullable Counter bytesCounter;
  private final @Nullable Counter resumedCounter;
  private final long syncEveryBytes;
  private final String name;
  private final AtomicLong completed = new AtomicLong();

  public FileDownload(
      HubClient hub,
      PullStore store,
      String repo,
      String commit,
      RemoteFile file,
      int connections,
      long partSize,
      java.time.Duration tick,
      PullCancellation cancellation,
      long syncEveryBytes,
      @Nullable Counter bytesCounter,
      @Nullable Counter resumedCounter) {
    this.hub = hub;
    this.store = store;
    this.repo = repo;
    this.commit = commit;
    this.file = file;
    this.connections = Math.max(1, connections);
    this.partSize = Math.max(1, partSize);
    this.tick = tick;
    this.cancellation = cancellation;
    this.syncEveryBytes = syncEveryBytes;
    this.bytesCounter = bytesCounter;
    this.resumedCounter = resumedCounter;
    this.name = file.localName();
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
    List<Part> plan = resumablePlan();
    int startOvers = 0;
    while (true) {
      try {
        attempt(plan, listener);
        return;
      } catch (StartOverException e) {
        if (++startOvers > 2) {
          throw new PullException(Reason.UPSTREAM, "cannot download " + name + ": " + e.getMessage(), e);
        }
        log.warn("{}: {}; starting over from byte 0 over one connection", name, e.getMessage());
        store.discardPartial(name);
        plan = List.of(new Part(0, file.size() - 1, 0));
      }
    }
  }

  private List<Part> resumablePlan() {
    Path partial = store.partial(name);
    Sidecar sidecar = store.readSidecar(name).orElse(null);
    if (sidecar != null
        && Files.isRegularFile(partial)
        && sidecar.sha256().equals(file.sha256())
        && sidecar.size() == file.size()
        && coversFile(sidecar.parts())) {
      long done = sidecar.bytesDone();
      if (done > 0) {
        log.info("{}: resuming with {} of {} bytes on disk (commit {})", name, done, file.size(), commit);
        if (resumedCounter != null) {
          resumedCounter.increment(done);
        }
      }
      return sidecar.parts();
    }
    store.discardPartial(name);
    List<Part> parts = new ArrayList<>();
    long size = file.size();
    if (connections == 1 || size <= partSize) {
      parts.add(new Part(0, size - 1, 0));
    } else {
      for (long start = 0; start < size; start += partSize) {
        parts.add(new Part(start, Math.min(size, start + partSize) - 1, 0));
      }
    }
    return parts;
  }

  /** Whether {@code parts} are contiguous, cover the whole file and claim no more than their length. */
  private boolean coversFile(List<Part> parts) {
    long next = 0;
    for (Part p : parts) {
      if (p.start() != next || p.end() < p.start() || p.done() < 0 || p.done() > p.length()) {
        return false;
      }
      next = p.end() + 1;
    }
    return !parts.isEmpty() && next == file.size();
  }

  private void attempt(List<Part> plan, Listener listener) {
    int n = plan.size();
    long[] starts = new long[n];
    long[] ends = new long[n];
    AtomicLongArray done = new AtomicLongArray(n);
    for (int i = 0; i < n; i++) {
      starts[i] = plan.get(i).start();
      ends[i] = plan.get(i).end();
      done.set(i, Math.min(plan.get(i).done(), plan.get(i).length()));
    }
    long onDisk = 0;
    for (int i = 0; i < n; i++) {
      onDisk += done.get(i);
    }
    completed.set(onDisk);
    Path partial = store.partial(name);
    try (FileChannel ch =
        FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (ch.size() > file.size()) {
        ch.truncate(file.size());
      }
      saveSidecar(starts, ends, done);
      Hasher hasher = new Hasher(ch, starts, ends, done);
      Thread hashThread = new Thread(hasher, "shimmy-pull-sha256-" + name);
      hashThread.setDaemon(true);
      hashThread.start();
      Syncer syncer = new Syncer(ch);
      Thread syncThread = new Thread(syncer, "shimmy-pull-fsync-" + name);
      syncThread.setDaemon(true);
      syncThread.start();
      ConcurrentLinkedQueue<Integer> queue = new ConcurrentLinkedQueue<>();
      for (int i = 0; i < n; i++) {
        if (done.get(i) < ends[i] - starts[i] + 1) {
          queue.add(i);
        }
      }
      int workers = Math.max(1, Math.min(connections, queue.size()));
      AtomicReferenceArray<Call> calls = new AtomicReferenceArray<>(workers);
      AtomicReference<RuntimeException> failure = new AtomicReference<>();
      CountDownLatch finished = new CountDownLatch(workers);
      AtomicInteger workerIds = new AtomicInteger();
      ExecutorService pool =
          Executors.newFixedThreadPool(
              workers,
              r -> {
                Thread t = new Thread(r, "shimmy-pull-part-" + name + "-" + workerIds.getAndIncrement());
                t.setDaemon(true);
                return t;
              });
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
                  while (failure.get() == null && !cancellation.isCancelled() && (part = queue.poll()) != null) {
                    downloadPart(ch, part, starts[part], ends[part], done, buf, hasher, c -> calls.set(worker, c));
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
            finished.await(Math.max(1, Math.min(100, tick.toMillis())), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            interrupted = true;
          }
          if (interrupted || cancellation.isCancelled()) {
            cancelCalls.run();
            pool.shutdownNow();
            awaitQuietly(finished);
            saveSidecar(starts, ends, done);
            hasher.stop();
            if (interrupted) {
              Thread.currentThread().interrupt();
            }
            throw cancelled();
          }
          listener.progress(completed.get(), false);
          if (System.nanoTime() - lastSave > SIDECAR_EVERY_NANOS) {
            saveSidecar(starts, ends, done);
            lastSave = System.nanoTime();
          }
        }
        saveSidecar(starts, ends, done);
        RuntimeException failed = failure.get();
        if (failed != null) {
          hasher.stop();
          if (failed instanceof PullException p && p.reason() == Reason.CANCELLED || cancellation.isCancelled()) {
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
        String sha = awaitHash(hasher, hashThread);
        verify(ch, sha);
        syncer.stop();
        ch.force(true);
      } finally {
        pool.shutdownNow();
        hasher.stop();
        syncer.stop();
      }
    } catch (IOException e) {
      throw PullStore.local("cannot write " + partial, e);
    }
  }

  private void downloadPart(
      FileChannel ch, int part, long start, long end, AtomicLongArray done, ByteBuffer buf, Hasher hasher,
      java.util.function.Consumer<Call> calls) {
    String what = "download " + repo + "/" + file.path() + " part " + part + " [" + start + "-" + end + "]";
    while (true) {
      long before = done.get(part);
      try {
        hub.withRetry(
            what,
            cancellation::isCancelled,
            () -> {
              fetch(ch, part, start, end, done, buf, hasher, calls);
              return Boolean.TRUE;
            });
        return;
      } catch (PullException e) {
        if (e.reason().transientFailure() && done.get(part) > before && !cancellation.isCancelled()) {
          log.info("{}: attempts made progress ({} bytes), retrying again", what, done.get(part) - before);
          continue;
        }
        throw e;
      }
    }
  }

  private void fetch(
      FileChannel ch, int part, long start, long end, AtomicLongArray done, ByteBuffer buf, Hasher hasher,
      java.util.function.Consumer<Call> calls)
      throws IOException {
    long pos = start + done.get(part);
    if (pos > end) {
      return;
    }
    try (Response r = hub.openDownload(repo, commit, file.path(), pos, end, cancellation, calls)) {
      if (r.code() == 200) {
        if (pos != 0 || end != file.size() - 1) {
          throw new StartOverException("the server ignored Range (200 instead of 206)");
        }
      } else {
        checkContentRange(r.header("Content-Range"), pos);
      }
      BufferedSource source = r.body().source();
      long remaining = end - pos + 1;
      long sinceSignal = 0;
      while (remaining > 0) {
        if (cancellation.isCancelled()) {
          throw new InterruptedIOException("cancelled");
        }
        buf.clear();
        if (remaining < buf.capacity()) {
          buf.limit((int) remaining);
        }
        while (buf.hasRemaining()) {
          int read = source.read(buf);
          if (read < 0) {
            break;
          }
          if (source.getBuffer().size() == 0) {
            break;
          }
        }
        buf.flip();
        int got = buf.remaining();
        if (got == 0) {
          throw new EOFException("body of " + name + " ended " + remaining + " bytes early");
        }
        writeFully(ch, buf, pos);
        buf.flip();
        hasher.offer(pos, buf);
        pos += got;
        remaining -= got;
        done.addAndGet(part, got);
        completed.addAndGet(got);
        if (bytesCounter != null) {
          bytesCounter.increment(got);
        }
        sinceSignal += got;
        if (sinceSignal >= HASH_BUFFER || remaining == 0) {
          hasher.signal();
          sinceSignal = 0;
        }
      }
    }
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
    if (!m.group(3).equals("*") && HubClient.size(m.group(3), "Content-Range (" + header + ")") != file.size()) {
      throw new PullException(
          Reason.INTEGRITY,
          name + " is " + m.group(3) + " bytes on the CDN but the Hub announced " + file.size());
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) {
    long at = pos;
    try {
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
    } catch (IOException e) {
      throw PullStore.local("cannot write the partial download", e);
    }
  }

  private String awaitHash(Hasher hasher, Thread thread) {
    while (thread.isAlive()) {
      try {
        thread.join(Math.max(1, Math.min(100, tick.toMillis())));
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
    if (hasher.error != null) {
      throw PullStore.local("cannot read back " + name + " for hashing", hasher.error);
    }
    if (hasher.result == null) {
      throw cancelled();
    }
    return hasher.result;
  }

  private void verify(FileChannel ch, String sha) throws IOException {
    long size = ch.size();
    String problem = null;
    if (size != file.size()) {
      problem = name + " has " + size + " bytes, expected " + file.size();
    } else if (!sha.equals(file.sha256())) {
      problem = name + " has sha256 " + sha + ", expected " + file.sha256() + " (commit " + commit + ")";
    } else {
      ByteBuffer head = ByteBuffer.allocate(MAGIC.length);
      ch.read(head, 0);
      if (head.position() < MAGIC.length || !java.util.Arrays.equals(head.array(), MAGIC)) {
        problem = name + " is not a GGUF file (no GGUF magic)";
      }
    }
    if (problem != null) {
      ch.close();
      store.discardPartial(name);
      log.error("{}: verification failed, partial deleted: {}", name, problem);
      throw new PullException(Reason.INTEGRITY, problem);
    }
  }

  private void saveSidecar(long[] starts, long[] ends, AtomicLongArray done) {
    List<Part> parts = new ArrayList<>(starts.length);
    for (int i = 0; i < starts.length; i++) {
      parts.add(new Part(starts[i], ends[i], done.get(i)));
    }
    store.writeSidecar(name, new Sidecar(repo, commit, file.path(), file.sha256(), file.size(), parts));
  }

  private PullException cancelled() {
    if (cancellation.discardPartial()) {
      store.discardPartial(name);
      return new PullException(Reason.CANCELLED, "pull of " + name + " cancelled; partial download discarded");
    }
    return new PullException(
        Reason.CANCELLED, "pull of " + name + " cancelled; " + completed.get() + " bytes kept for a resume");
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

  /**
   * fsyncs the partial in the background each time {@code syncEveryBytes} more were written, so
   * the final fsync finds little dirty data. Stopped by a flag, never interrupted (an interrupt
   * during {@code force} would close the shared channel). A failure here is left to the final
   * {@code force}, which reports it.
   */
  private final class Syncer implements Runnable {
    private final FileChannel ch;
    private final Object lock = new Object();
    private volatile boolean stopped;

    Syncer(FileChannel ch) {
      this.ch = ch;
    }

    void stop() {
      stopped = true;
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    @Override
    public void run() {
      long synced = completed.get();
      try {
        while (!stopped && syncEveryBytes > 0) {
          long written = completed.get();
          if (written - synced >= syncEveryBytes) {
            ch.force(false);
            synced = written;
            continue;
          }
          synchronized (lock) {
            lock.wait(20);
          }
        }
      } catch (IOException e) {
        if (!stopped) {
          log.debug("{}: background fsync failed ({}); the final fsync will report it", name, e.toString());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * sha256 of the file, computed right behind the contiguous prefix that is on disk: the worker
   * whose bytes continue the hashed prefix hashes them from its buffer as they stream ({@link
   * #offer}); bytes that arrived ahead of the prefix (later parts) are read back from the file,
   * usually still in the page cache, by this thread once the prefix reaches them.
   */
  private final class Hasher implements Runnable {
    private final FileChannel ch;
    private final long[] starts;
    private final long[] ends;
    private final AtomicLongArray done;
    private final Object lock = new Object();
    private final MessageDigest md = sha256();
    private long hashed;
    private volatile boolean stopped;
    private volatile @Nullable String result;
    private volatile @Nullable IOException error;

    Hasher(FileChannel ch, long[] starts, long[] ends, AtomicLongArray done) {
      this.ch = ch;
      this.starts = starts;
      this.ends = ends;
      this.done = done;
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

    void signal() {
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    void stop() {
      stopped = true;
      signal();
    }

    private long frontier() {
      for (int i = 0; i < starts.length; i++) {
        long length = ends[i] - starts[i] + 1;
        long d = done.get(i);
        if (d < length) {
          return starts[i] + d;
        }
      }
      return file.size();
    }

    @Override
    public void run() {
      ByteBuffer buf = ByteBuffer.allocate(HASH_BUFFER);
      long size = file.size();
      try {
        while (!stopped) {
          long start;
          synchronized (lock) {
            start = hashed;
            if (start >= size) {
              result = HexFormat.of().formatHex(md.digest());
              return;
            }
            if (frontier() <= start) {
              lock.wait(50);
              continue;
            }
          }
          long frontier = frontier();
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
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
