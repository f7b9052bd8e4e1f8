package io.github.shimmypull.core.discovery;

import java.nio.file.Path;
import java.util.List;

/**
 * A model id Shimmy will serve, with the files behind it.
 *
 * @param id the id in {@code /v1/models}
 * @param files the files (shards in order; one file for a plain model), absolute when known
 * @param sizeBytes total size of the files, or -1 when the runner cannot tell
 */
public record DiscoveredModel(String id, List<Path> files, long sizeBytes) {

  public DiscoveredModel {
    files = List.copyOf(files);
  }
}
