package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.coordinator.internal.DirectoryOperation;
import io.github.shimmypull.core.internal.WireFormat;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Who holds the model directory: the running pull (one at a time), another operation (a delete, a
 * reconcile) or another process (the directory lock), and the ended jobs kept for status queries.
 * Decides admission and words the conflicts.
 */
final class JobRegistry {

  /** What becomes of a pull request. */
  sealed interface Admission {
    /** A new job, holding the directory. */
    record Started(PullJob job, ModelDirectoryLock.Held held) implements Admission {}

    /** The running job pulls the same model. */
    record Attach(PullJob job) implements Admission {}

    /** The running job pulls the same repo, perhaps the same files written another way. */
    record Compare(PullJob job) implements Admission {}
  }

  private final Path modelDir;
  private final ModelDirectoryLock lock;
  private final Clock clock;
  private final int recentJobs;

  private final Deque<PullJob> recent = new ArrayDeque<>();
  private @Nullable PullJob running;
  private @Nullable String operation;
  private volatile boolean closed;

  JobRegistry(Path modelDir, Clock clock, int recentJobs) {
    this.modelDir = modelDir;
    this.lock = new ModelDirectoryLock(modelDir);
    this.clock = clock;
    this.recentJobs = recentJobs;
  }

  /**
   * Admits a pull: attaches it to, or compares it with, the running pull of the same model or repo,
   * or starts a new job holding the directory lock.
   *
   * @throws PullException BACKEND while the service stops, CONFLICT when another model is being
   *     pulled, another operation runs or another process holds the directory
   */
  synchronized Admission admit(PullRequest request) {
    if (closed) {
      throw new PullException(Reason.BACKEND, "the service is stopping");
    }
    PullJob active = running;
    if (active != null) {
      if (PullAttachment.sameModel(request.ref(), active)) {
        return new Admission.Attach(active);
      }
      if (request.ref().repo().equalsIgnoreCase(active.ref().repo())) {
        return new Admission.Compare(active);
      }
      throw conflict(active);
    }
    if (operation != null) {
      throw busy(operation);
    }
    String id = newJobId();
    ModelDirectoryLock.Held held = tryLock(holder("pull", request.ref().toString(), id));
    if (held == null) {
      throw otherProcessConflict();
    }
    PullJob job = new PullJob(id, request.ref(), request.force(), clock.instant());
    running = job;
    return new Admission.Started(job, held);
  }

  /** Frees the directory after {@code job} and keeps the job for status queries. */
  synchronized void ended(PullJob job, ModelDirectoryLock.Held held) {
    held.close();
    if (running == job) {
      running = null;
    }
    recent.addFirst(job);
    while (recent.size() > recentJobs) {
      recent.removeLast();
    }
  }

  /**
   * Takes the directory to delete a model.
   *
   * @throws PullException CONFLICT while a pull or another operation runs, also in another process
   */
  synchronized DirectoryOperation beginDelete(String id) {
    if (running != null) {
      throw conflict(running);
    }
    if (operation != null) {
      throw busy(operation);
    }
    ModelDirectoryLock.Held held = tryLock(holder("delete", id, null));
    if (held == null) {
      throw otherProcessConflict();
    }
    return begin("deleting " + id, held);
  }

  /** Takes the directory to reconcile it; null while stopping or while anything else holds it. */
  synchronized @Nullable DirectoryOperation tryBeginReconcile() {
    if (closed || running != null || operation != null) {
      return null;
    }
    ModelDirectoryLock.Held held = lock.tryAcquire(holder("reconcile", modelDir.toString(), null));
    if (held == null) {
      return null;
    }
    return begin("reconciling the model directory", held);
  }

  /**
   * Waits up to {@code wait} for the directory lock to preload {@code model}.
   *
   * @throws PullException CONFLICT when the directory stayed busy
   */
  ModelDirectoryLock.Held awaitPreloadLock(String model, Duration wait)
      throws InterruptedException {
    ModelDirectoryLock.Held held = lock.acquire(holder("preload", model, null), wait);
    if (held == null) {
      throw new PullException(
          Reason.CONFLICT,
          "the model directory stayed busy for " + wait + ": " + describe(lock.describeHolder()));
    }
    return held;
  }

  /** Marks the service as stopping; returns the running pull, if any. */
  synchronized @Nullable PullJob close() {
    closed = true;
    return running;
  }

  boolean isClosed() {
    return closed;
  }

  synchronized Optional<PullJob> current() {
    return Optional.ofNullable(running);
  }

  synchronized List<PullJob> recent() {
    return List.copyOf(recent);
  }

  synchronized Optional<PullJob> job(String id) {
    if (running != null && running.id().equals(id)) {
      return Optional.of(running);
    }
    return recent.stream().filter(j -> j.id().equals(id)).findFirst();
  }

  /** The CONFLICT answered to a request while {@code active} runs, naming it as {@code running}. */
  PullException conflict(PullJob active) {
    PullProgress p = active.progress();
    String progress =
        p.overallTotal() > 0
            ? String.format(
                Locale.ROOT,
                ", %d%% of %d bytes",
                p.overallCompleted() * 100 / p.overallTotal(),
                p.overallTotal())
            : "";
    return new PullException(
        Reason.CONFLICT,
        "another pull is running: "
            + active.model()
            + " (job "
            + active.id()
            + ", "
            + active.phase()
            + progress
            + ")",
        null,
        Map.of("running", WireFormat.job(active)));
  }

  private DirectoryOperation begin(String label, ModelDirectoryLock.Held held) {
    operation = label;
    return () -> {
      synchronized (this) {
        operation = null;
        held.close();
      }
    };
  }

  private ModelDirectoryLock.@Nullable Held tryLock(Map<String, Object> holder) {
    try {
      return lock.tryAcquire(holder);
    } catch (UncheckedIOException e) {
      throw new PullException(Reason.IO, String.valueOf(e.getMessage()), e);
    }
  }

  private static PullException busy(String operation) {
    Map<String, Object> running = new LinkedHashMap<>();
    running.put("operation", operation);
    return new PullException(
        Reason.CONFLICT,
        "the model directory is busy: " + operation,
        null,
        Map.of("running", running));
  }

  private PullException otherProcessConflict() {
    Map<String, Object> holder = lock.describeHolder();
    return new PullException(
        Reason.CONFLICT,
        "another process is working on " + modelDir + ": " + describe(holder),
        null,
        Map.of("running", holder));
  }

  private static String describe(Map<String, Object> holder) {
    if (holder.isEmpty()) {
      return "unknown holder of the lock file";
    }
    return holder.get("operation")
        + " of "
        + holder.get("model")
        + " by pid "
        + holder.get("pid")
        + " since "
        + holder.get("started_at");
  }

  private Map<String, Object> holder(String op, String model, @Nullable String jobId) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("operation", op);
    m.put("model", model);
    if (jobId != null) {
      m.put("job", jobId);
    }
    m.put("pid", ProcessHandle.current().pid());
    m.put("started_at", clock.instant().toString());
    return m;
  }

  private static String newJobId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
