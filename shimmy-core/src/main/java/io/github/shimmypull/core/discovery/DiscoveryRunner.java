package io.github.shimmypull.core.discovery;

import java.nio.file.Path;
import java.util.List;

/** Tells which model ids Shimmy will serve from a model directory, sorted by id. */
@FunctionalInterface
public interface DiscoveryRunner {

  /**
   * Scans {@code modelDir}.
   *
   * @throws java.io.UncheckedIOException when the directory cannot be read or the command fails
   */
  List<DiscoveredModel> discover(Path modelDir);
}
