package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.coordinator.internal.ModelServing;
import io.github.shimmypull.core.coordinator.internal.Quarantine;
import io.github.shimmypull.core.internal.PullMetrics;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import io.github.shimmypull.core.pull.PullCancellation;
import io.github.shimmypull.core.pull.PullEvent;
import io.github.shimmypull.core.pull.PullListener;
import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.SupervisorException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a pull from the request to the model being servable: admission (attach or conflict),
 * resolution in the caller's thread, then download, publication and serving in the background, with
 * the quarantine of a model Shimmy cannot start with. Also runs preloads.
 */
final class PullExecution {

  private static final Logger LOG = LoggerFactory.getLogger(PullExecution.class);

  private final ModelPuller puller;
  private final JobRegistry registry;
  private final PullAttachment attachment;
  private final ModelServing serving;
  private final Quarantine quarantine;
  private final PullMetrics metrics;
  private final Executor executor;
  private final Clock clock;
  private final Runnable markHandled;
  private final Duration preloadLockWait;

  /**
   * @param markHandled tells the directory watcher that a published pull is handled
   */
  PullExecution(
      ModelPuller puller,
      JobRegistry registry,
      ModelServing serving,
      Quarantine quarantine,
      PullMetrics metrics,
      Executor executor,
      Clock clock,
      Runnable markHandled,
      Duration preloadLockWait) {
    this.puller = puller;
    this.registry = registry;
    this.attachment = new PullAttachment(puller, registry);
    this.serving = serving;
    this.quarantine = quarantine;
    this.metrics = metrics;
    this.executor = executor;
    this.clock = clock;
    this.markHandled = markHandled;
    this.preloadLockWait = preloadLockWait;
  }

  /** See {@link PullCoordinator#submit(PullRequest)}. */
  PullJob submit(PullRequest request) {
    JobRegistry.Admission admission = registry.admit(request);
    if (admission instanceof JobRegistry.Admission.Started started) {
      return start(started.job(), started.held());
    }
    PullJob attachTo;
    if (admission instanceof JobRegistry.Admission.Compare compare) {
      attachTo = attachment.sameResolution(request, compare.job());
      if (attachTo == null) {
        return submit(request);
      }
    } else {
      attachTo = ((JobRegistry.Admission.Attach) admission).job();
    }
    return PullAttachment.attach(request.ref(), attachTo);
  }

  private PullJob start(PullJob job, ModelDirectoryLock.Held held) {
    long startNanos = System.nanoTime();
    ModelRef ref = job.ref();
    job.emit(new PullEvent.Starting(ref.toString()));
    job.emit(new PullEvent.Resolving(ref.repo(), ref.revisionOrDefault()));
    PreparedPull prepared;
    try {
      prepared = puller.prepare(ref, job.force(), job.cancellation());
    } catch (RuntimeException e) {
      PullException failure = serving.asPullException(e);
      job.prepareFailed(failure);
      finish(job, held, null, failure, startNanos);
      throw failure;
    }
    metrics.phase("resolve", Duration.ofNanos(System.nanoTime() - startNanos));
    job.prepared(prepared);
    LOG.info(
        "pull {}: {} resolved to {}@{} ({} file(s), {} bytes to download) as model {}",
        job.id(),
        ref,
        ref.repo(),
        prepared.commit(),
        prepared.files().size(),
        prepared.bytesToDownload(),
        prepared.modelId());
    try {
      executor.execute(() -> run(job, prepared, held, startNanos));
    } catch (RuntimeException e) {
      PullException failure =
          new PullException(
              registry.isClosed() ? Reason.BACKEND : Reason.IO, "cannot start the pull: " + e, e);
      finish(job, held, null, failure, startNanos);
      throw failure;
    }
    return job;
  }

  private void run(
      PullJob job, PreparedPull prepared, ModelDirectoryLock.Held held, long startNanos) {
    PullResult result = null;
    PullException failure = null;
    List<String> servingBefore = List.of();
    try {
      long phaseStart = System.nanoTime();
      result = puller.pull(prepared, downloadListener(job), job.cancellation());
      metrics.phase("download", Duration.ofNanos(System.nanoTime() - phaseStart));
      LOG.info(
          "pull {}: published {} ({} bytes, sha256 {}, commit {}, downloaded: {})",
          job.id(),
          result.files(),
          result.sizeBytes(),
          result.sha256(),
          result.revision(),
          result.downloaded());
      servingBefore = serving.stillServing();
      serving.serve(job.id(), result, job::emit);
    } catch (RuntimeException e) {
      PullException f = serving.asPullException(e);
      if (result != null) {
        Path quarantined =
            e instanceof SupervisorException se && se.reason() == SupervisorException.Reason.EXITED
                ? quarantine.ifRolledBack(job.id(), result, servingBefore)
                : null;
        String where =
            quarantined != null
                ? " was moved to " + quarantined + " because Shimmy cannot start with it: "
                : " is published in the model directory, but ";
        f =
            new PullException(
                f.reason(),
                String.join(", ", result.files()) + where + f.getMessage(),
                f,
                f.details());
      }
      failure = f;
    }
    finish(job, held, result, failure, startNanos);
  }

  /** Forwards the puller's events to the job (downloaded bytes are the puller's own meter). */
  private static PullListener downloadListener(PullJob job) {
    return event -> {
      if (!(event instanceof PullEvent.Complete) && !(event instanceof PullEvent.Failed)) {
        job.emit(event);
      }
    };
  }

  private void finish(
      PullJob job,
      ModelDirectoryLock.Held held,
      @Nullable PullResult result,
      @Nullable PullException failure,
      long startNanos) {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    registry.ended(job, held);
    if (result != null) {
      markHandled.run();
    }
    metrics.pullEnded(failure, elapsed);
    if (failure == null && result != null) {
      LOG.info(
          "pull {}: {} is served as '{}' after {} ms",
          job.id(),
          job.model(),
          result.modelId(),
          elapsed.toMillis());
      job.complete(result, clock.instant());
    } else {
      PullException f =
          failure != null
              ? failure
              : new PullException(Reason.IO, "the pull ended without a result");
      LOG.warn(
          "pull {}: {} failed after {} ms: {} ({})",
          job.id(),
          job.model(),
          elapsed.toMillis(),
          f.getMessage(),
          f.reason().code());
      job.fail(f, clock.instant());
    }
  }

  /** See {@link PullCoordinator#preload}. */
  List<PreloadResult> preload(List<ModelRef> refs) {
    List<PreloadResult> results = new ArrayList<>();
    for (ModelRef ref : refs) {
      long startNanos = System.nanoTime();
      PullException failure = null;
      PullResult result = null;
      ModelDirectoryLock.Held held = null;
      try {
        held = registry.awaitPreloadLock(ref.toString(), preloadLockWait);
        PreparedPull prepared = puller.prepare(ref, false);
        LOG.info(
            "preload: {} resolved to {}@{}, {} bytes to download",
            ref,
            ref.repo(),
            prepared.commit(),
            prepared.bytesToDownload());
        result = puller.pull(prepared, progressLogger(ref), new PullCancellation());
        LOG.info(
            "preload: {} is present as {} ({} bytes, sha256 {})",
            ref,
            result.files(),
            result.sizeBytes(),
            result.sha256());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new PullException(Reason.CANCELLED, "preload of " + ref + " interrupted");
      } catch (RuntimeException e) {
        failure = serving.asPullException(e);
      } finally {
        if (held != null) {
          held.close();
        }
      }
      if (failure != null) {
        LOG.error(
            "preload: {} failed: {} ({})", ref, failure.getMessage(), failure.reason().code());
      }
      metrics.pullEnded(failure, Duration.ofNanos(System.nanoTime() - startNanos));
      results.add(new PreloadResult(ref, result, failure));
      if (Thread.currentThread().isInterrupted()) {
        break;
      }
    }
    return List.copyOf(results);
  }

  private static PullListener progressLogger(ModelRef ref) {
    int[] lastDecile = {-1};
    return event -> {
      if (event instanceof PullEvent.Downloading d && d.overallTotal() > 0) {
        int decile = (int) (d.overallCompleted() * 10 / d.overallTotal());
        if (decile != lastDecile[0]) {
          lastDecile[0] = decile;
          LOG.info(
              "preload: {} {}% ({} of {} bytes)",
              ref, decile * 10, d.overallCompleted(), d.overallTotal());
        }
      }
    };
  }
}
