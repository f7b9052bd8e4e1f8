package io.github.shimmypull.core.coordinator.internal;

import io.github.shimmypull.core.pull.PullResult;
import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a freshly published model that Shimmy cannot start with out of Shimmy's sight, into {@code
 * <model-dir>/.shimmy-pull/quarantine/}, so that the next refresh does not trip on it again.
 */
public final class Quarantine {

  private static final Logger LOG = LoggerFactory.getLogger(Quarantine.class);

  private final Path modelDir;
  private final ShimmySupervisor supervisor;
  private final Duration readyTimeout;
  private final ModelServing serving;

  public Quarantine(
      Path modelDir, ShimmySupervisor supervisor, Duration readyTimeout, ModelServing serving) {
    this.modelDir = modelDir;
    this.supervisor = supervisor;
    this.readyTimeout = readyTimeout;
    this.serving = serving;
  }

  /**
   * Quarantines the pulled files when the Shimmy instance started for them exited before it was
   * ready while an instance of another model served just before or still serves (so Shimmy itself
   * works with this command, and the new files, alone in the instance's private directory, are the
   * cause), and has the supervisor refresh so that it no longer lists the model. Nothing moves when
   * nothing else served (the failure may have another cause), for a timeout (a slow or externally
   * managed Shimmy says nothing about the file; the caller only calls this for an exit) or when a
   * move fails.
   *
   * @param jobId the pull's job id, for the log
   * @param servingBefore the models whose instances were ready before the refresh (the warm start
   *     may have stopped an idle one to make room)
   * @return the quarantine directory, or null when the files stay published
   */
  public @Nullable Path ifRolledBack(String jobId, PullResult result, List<String> servingBefore) {
    Set<String> served = new TreeSet<>(servingBefore);
    served.addAll(serving.stillServing());
    served.remove(result.modelId());
    if (served.isEmpty()) {
      return null;
    }
    Path quarantine = modelDir.resolve(".shimmy-pull").resolve("quarantine");
    try {
      Files.createDirectories(quarantine);
      for (String file : result.files()) {
        Path published = modelDir.resolve(file);
        if (Files.exists(published)) {
          Files.move(
              published,
              quarantine.resolve(file),
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn(
          "pull {}: cannot quarantine {} in {}: {}",
          jobId,
          result.files(),
          quarantine,
          e.toString());
      return null;
    }
    LOG.warn(
        "pull {}: Shimmy did not come up with {} ({}); moved {} to {}; it served {} before",
        jobId,
        result.modelId(),
        result.revision(),
        result.files(),
        quarantine,
        served);
    try {
      supervisor.refresh(Set.of(), readyTimeout);
    } catch (RuntimeException e) {
      LOG.warn(
          "pull {}: refreshing after the quarantine of {} failed: {}",
          jobId,
          result.modelId(),
          e.toString());
    }
    return quarantine;
  }
}
