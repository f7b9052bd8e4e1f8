package io.github.shimmypull.core.pull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A model published in the model directory, with what we recorded when we pulled it (repo, commit,
 * sha256); those are null for files that came by other means.
 *
 * @param id the id Shimmy serves it under
 * @param files file names in the model directory (shards in order)
 * @param sizeBytes total size
 * @param sha256 sha256 of the first file, or null if unknown
 * @param repo source repository, or null if unknown
 * @param commit source commit, or null if unknown
 */
public record LocalModel(
    String id,
    List<String> files,
    long sizeBytes,
    @Nullable String sha256,
    @Nullable String repo,
    @Nullable String commit) {

  public LocalModel {
    files = List.copyOf(files);
  }
}
