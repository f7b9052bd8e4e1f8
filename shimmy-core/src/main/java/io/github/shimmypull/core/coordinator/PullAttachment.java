package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.PullException.Reason;
import io.github.shimmypull.core.pull.ModelPuller;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PreparedPull;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a pull request names the model the running pull pulls, so that it attaches to the
 * running job instead of conflicting with it.
 */
final class PullAttachment {

  private static final Logger LOG = LoggerFactory.getLogger(PullAttachment.class);

  private final ModelPuller puller;
  private final JobRegistry registry;

  PullAttachment(ModelPuller puller, JobRegistry registry) {
    this.puller = puller;
    this.registry = registry;
  }

  /** Whether {@code ref} names the model of {@code job} as written (no resolution). */
  static boolean sameModel(ModelRef ref, PullJob job) {
    ModelRef other = job.ref();
    if (ref.equals(other)) {
      return true;
    }
    if (!ref.repo().equalsIgnoreCase(other.repo())) {
      return false;
    }
    PreparedPull prepared = job.preparedPull();
    String revision = ref.revision();
    boolean sameRevision =
        revision == null
            ? other.revision() == null
            : revision.equals(other.revision())
                || (prepared != null && revision.equals(prepared.commit()));
    if (!sameRevision) {
      return false;
    }
    String tag = ref.tag();
    if (ref.file() == null && tag != null && other.file() == null && other.tag() != null) {
      return tag.equalsIgnoreCase(other.tag());
    }
    return ref.file() != null
        && prepared != null
        && prepared.files().stream().anyMatch(f -> f.path().equals(ref.file()));
  }

  /**
   * Attaches a request for {@code ref} to {@code job}: waits until the job is resolved, then
   * returns it; rethrows its resolution failure.
   */
  static PullJob attach(ModelRef ref, PullJob job) {
    LOG.info("attaching a request for {} to running {}", ref, job);
    try {
      job.awaitPrepared();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + job);
    }
    return job;
  }

  /**
   * Resolves a request for the repo of the running pull written another way ({@code owner/repo} for
   * its default tag, a file instead of a tag, {@code @main}, {@code hf.co/...}, another letter
   * case): once the running pull is resolved too (waiting for it while it resolves), the request
   * attaches when both name the same files at the same commit. Anything else, a failed resolution
   * of the request included, is the conflict the lock check (which comes before resolution)
   * answers.
   *
   * @return the job to attach to, or null when the running pull ended meanwhile (its resolution
   *     failed, or it finished): the request is then submitted again
   */
  @Nullable PullJob sameResolution(PullRequest request, PullJob active) {
    PreparedPull running;
    try {
      running = active.awaitPrepared();
    } catch (PullException e) {
      LOG.debug(
          "{} did not resolve ({}); submitting {} on its own",
          active,
          e.getMessage(),
          request.ref());
      awaitEnd(active);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + active);
    }
    PreparedPull asked;
    try {
      asked = puller.prepare(request.ref(), request.force());
    } catch (RuntimeException e) {
      LOG.debug("{} does not resolve while {} runs: {}", request.ref(), active, e.toString());
      throw registry.conflict(active);
    }
    if (!sameFiles(asked, running)) {
      throw registry.conflict(active);
    }
    if (active.isDone()) {
      awaitEnd(active);
      return null;
    }
    return active;
  }

  /** Same repo (the Hub's names are case-insensitive), same commit, same file paths. */
  private static boolean sameFiles(PreparedPull a, PreparedPull b) {
    return a.ref().repo().equalsIgnoreCase(b.ref().repo())
        && a.commit().equals(b.commit())
        && a.files().stream()
            .map(f -> f.path())
            .toList()
            .equals(b.files().stream().map(f -> f.path()).toList());
  }

  /** Waits until {@code job} has ended and left the running slot. */
  private static void awaitEnd(PullJob job) {
    try {
      job.await();
    } catch (PullException ended) {
      LOG.trace("{} ended: {}", job, ended.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PullException(Reason.CANCELLED, "interrupted while waiting for " + job);
    }
  }
}
