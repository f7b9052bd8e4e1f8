package io.github.shimmypull.core.pull;

import java.util.List;

/**
 * A pull that passed every check that can fail before any byte is downloaded: the reference is
 * resolved to a commit, the files are chosen, and disk space and size cap were checked.
 *
 * @param ref what was asked for
 * @param commit the commit every file is downloaded from
 * @param files the files to publish, shards in order (first shard first)
 * @param modelId the id Shimmy will serve the model under
 * @param force whether files already present and verified are downloaded again
 * @param bytesToDownload how many bytes still have to come over the network (0 when present)
 */
public record PreparedPull(
    ModelRef ref,
    String commit,
    List<RemoteFile> files,
    String modelId,
    boolean force,
    long bytesToDownload) {

  public PreparedPull {
    files = List.copyOf(files);
    if (files.isEmpty()) {
      throw new IllegalArgumentException("a prepared pull needs at least one file");
    }
  }

  /** The first (or only) file: the one Shimmy opens. */
  public RemoteFile primaryFile() {
    return files.get(0);
  }

  /** Sum of all file sizes. */
  public long totalSize() {
    return files.stream().mapToLong(RemoteFile::size).sum();
  }

  /** A key that is equal for two pulls that would write the same files: repo, commit and paths. */
  public String identity() {
    StringBuilder sb = new StringBuilder(ref.repo()).append('@').append(commit);
    files.forEach(f -> sb.append('|').append(f.path()));
    return sb.toString();
  }
}
