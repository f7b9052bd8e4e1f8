package io.github.shimmypull.core.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * Download progress of a job, from its latest {@code downloading} event.
 *
 * @param file the file being downloaded, or null before the first byte
 * @param total size of that file in bytes (0 before the first event)
 * @param completed bytes of that file on disk
 * @param overallTotal size of every file of the pull
 * @param overallCompleted bytes of every file on disk
 */
public record PullProgress(
    @Nullable String file, long total, long completed, long overallTotal, long overallCompleted) {

  /** No progress yet. */
  public static final PullProgress NONE = new PullProgress(null, 0, 0, 0, 0);
}
