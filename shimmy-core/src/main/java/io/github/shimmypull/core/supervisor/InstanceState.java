package io.github.shimmypull.core.supervisor;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one Shimmy instance: the process that serves one model.
 *
 * @param model the model id the instance serves
 * @param status the instance's state ({@link BackendStatus#READY} while it takes requests)
 * @param pid pid of the process, or null before it is launched
 * @param port loopback port of the process, or null
 * @param startedAt when the current process was launched, or null
 * @param lastUsed when a lease on it was last released (or taken), or null when never used
 * @param inFlight leases open on it now
 * @param expiresAt when keep-alive will stop it if it stays idle, or null (never, or busy)
 * @param restarts crash restarts of this instance
 * @param reason why it is not ready, or null
 * @param sizeBytes the size of the model's files (what it counts against {@code max-loaded-bytes})
 */
public record InstanceState(
    String model,
    BackendStatus status,
    @Nullable Long pid,
    @Nullable Integer port,
    @Nullable Instant startedAt,
    @Nullable Instant lastUsed,
    int inFlight,
    @Nullable Instant expiresAt,
    int restarts,
    @Nullable String reason,
    long sizeBytes) {

  public InstanceState {
    if (model.isBlank()) {
      throw new IllegalArgumentException("model must not be blank");
    }
    if (inFlight < 0) {
      throw new IllegalArgumentException("inFlight must be >= 0");
    }
  }

  /** Instances sorted by model id. */
  public static List<InstanceState> sorted(List<InstanceState> instances) {
    return instances.stream().sorted(java.util.Comparator.comparing(InstanceState::model)).toList();
  }
}
