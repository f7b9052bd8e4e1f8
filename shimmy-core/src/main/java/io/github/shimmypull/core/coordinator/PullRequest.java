package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.pull.ModelRef;

/**
 * What a client asks the coordinator for: a model reference, and whether files already present and
 * verified are downloaded again.
 *
 * @param ref the parsed, validated reference
 * @param force download again even when the files are present and verified
 */
public record PullRequest(ModelRef ref, boolean force) {

  /** A request that keeps files already present and verified. */
  public static PullRequest of(ModelRef ref) {
    return new PullRequest(ref, false);
  }
}
