package io.github.shimmypull.core.pull;

import java.util.List;

/**
 * What a pull published.
 *
 * @param modelId the id Shimmy serves the model under
 * @param repo the source repository
 * @param revision the commit the files were downloaded from
 * @param file the first (or only) file name in the model directory
 * @param files every published file name (shards in order)
 * @param sizeBytes total size of the files
 * @param sha256 sha256 of the first file (every file's own hash is in the metadata)
 * @param downloaded false when every file was already present and verified
 */
public record PullResult(
    String modelId,
    String repo,
    String revision,
    String file,
    List<String> files,
    long sizeBytes,
    String sha256,
    boolean downloaded) {

  public PullResult {
    files = List.copyOf(files);
  }

  /** Size in MiB, rounded to one decimal, as the {@code complete} event reports it. */
  public double sizeMb() {
    return mebibytes(sizeBytes);
  }

  /** {@code bytes} in MiB rounded to one decimal: the {@code size_mb} of every JSON answer. */
  public static double mebibytes(long bytes) {
    return Math.round(bytes / 1024.0 / 1024.0 * 10) / 10.0;
  }
}
