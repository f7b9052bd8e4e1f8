package io.github.shimmypull.core.pull.internal;

import io.github.shimmypull.core.pull.internal.PullStore.Part;
import io.github.shimmypull.core.pull.internal.PullStore.Sidecar;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The byte ranges a file is downloaded in and how far each has got. Built from the resume sidecar
 * when it describes this file and its partial exists, else fresh (the partial discarded). Progress
 * is updated by the part fetchers and read by the hasher, the sidecar writer and the progress
 * ticks.
 */
final class PartPlan {

  private final long[] starts;
  private final long[] ends;
  private final AtomicLongArray done;

  PartPlan(List<Part> parts) {
    int n = parts.size();
    starts = new long[n];
    ends = new long[n];
    done = new AtomicLongArray(n);
    for (int i = 0; i < n; i++) {
      starts[i] = parts.get(i).start();
      ends[i] = parts.get(i).end();
      done.set(i, Math.min(parts.get(i).done(), parts.get(i).length()));
    }
  }

  /**
   * The parts recorded in the sidecar when they describe {@code file} and its partial exists (a
   * resume), else fresh parts, after discarding whatever partial is there.
   */
  static List<Part> resumeOrFresh(PullStore store, PinnedFile file, DownloadSettings settings) {
    Sidecar sidecar = store.readSidecar(file.name()).orElse(null);
    if (sidecar != null
        && Files.isRegularFile(store.partial(file.name()))
        && sidecar.sha256().equals(file.file().sha256())
        && sidecar.size() == file.size()
        && coversFile(sidecar.parts(), file.size())) {
      return sidecar.parts();
    }
    store.discardPartial(file.name());
    return fresh(file.size(), settings.connections(), settings.partSize());
  }

  /**
   * One part when one connection is allowed or the file fits one part, else parts of {@code
   * partSize}.
   */
  static List<Part> fresh(long size, int connections, long partSize) {
    List<Part> parts = new ArrayList<>();
    if (connections == 1 || size <= partSize) {
      parts.add(new Part(0, size - 1, 0));
    } else {
      for (long start = 0; start < size; start += partSize) {
        parts.add(new Part(start, Math.min(size, start + partSize) - 1, 0));
      }
    }
    return parts;
  }

  /**
   * Whether {@code parts} are contiguous, cover {@code size} bytes and claim no more than their
   * length.
   */
  static boolean coversFile(List<Part> parts, long size) {
    long next = 0;
    for (Part p : parts) {
      if (p.start() != next || p.end() < p.start() || p.done() < 0 || p.done() > p.length()) {
        return false;
      }
      next = p.end() + 1;
    }
    return !parts.isEmpty() && next == size;
  }

  int count() {
    return starts.length;
  }

  long start(int part) {
    return starts[part];
  }

  long end(int part) {
    return ends[part];
  }

  /** Bytes of {@code part} on disk, from its start. */
  long done(int part) {
    return done.get(part);
  }

  boolean finished(int part) {
    return done.get(part) >= ends[part] - starts[part] + 1;
  }

  void advance(int part, long bytes) {
    done.addAndGet(part, bytes);
  }

  long bytesDone() {
    long sum = 0;
    for (int i = 0; i < starts.length; i++) {
      sum += done.get(i);
    }
    return sum;
  }

  /** The end of the contiguous prefix on disk: the first byte not yet written, or {@code size}. */
  long frontier(long size) {
    for (int i = 0; i < starts.length; i++) {
      long d = done.get(i);
      if (d < ends[i] - starts[i] + 1) {
        return starts[i] + d;
      }
    }
    return size;
  }

  /** A snapshot for the sidecar. */
  List<Part> parts() {
    List<Part> parts = new ArrayList<>(starts.length);
    for (int i = 0; i < starts.length; i++) {
      parts.add(new Part(starts[i], ends[i], done.get(i)));
    }
    return parts;
  }
}
