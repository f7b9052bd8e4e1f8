package io.github.shimmypull.core.pull;

/**
 * Downloads, verifies and atomically publishes the files of one model reference into a model
 * directory. Split in two so that every failure that can be answered with a plain HTTP status (not
 * found, gated, disk space) happens in {@link #prepare} before any progress is streamed.
 */
public interface ModelPuller {

  /**
   * Resolves the reference to a commit and files, checks what is already present, the size cap and
   * the free disk space.
   *
   * @throws io.github.shimmypull.core.PullException on any failure, with its reason
   */
  PreparedPull prepare(ModelRef ref, boolean force);

  /**
   * {@link #prepare(ModelRef, boolean)} that {@code cancellation} can stop while it resolves
   * (CANCELLED). The default ignores the cancellation.
   */
  default PreparedPull prepare(ModelRef ref, boolean force, PullCancellation cancellation) {
    return prepare(ref, force);
  }

  /**
   * Downloads (resuming from partial bytes on disk), verifies and publishes the prepared files,
   * reporting progress to {@code listener}. Files already present and verified are skipped unless
   * the pull was prepared with {@code force}.
   *
   * @throws io.github.shimmypull.core.PullException on any failure, with its reason (CANCELLED when
   *     {@code cancellation} fired or the thread was interrupted)
   */
  PullResult pull(PreparedPull pull, PullListener listener, PullCancellation cancellation);

  /** Prepares and pulls in one call. */
  default PullResult pull(ModelRef ref, boolean force, PullListener listener) {
    return pull(prepare(ref, force), listener, new PullCancellation());
  }
}
