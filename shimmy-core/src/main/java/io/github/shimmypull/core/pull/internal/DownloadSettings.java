package io.github.shimmypull.core.pull.internal;

import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the puller downloads every file: parallel connections, part size, the tick of the progress
 * and cancel checks, the progressive fsync interval, and the meters it counts into (null when the
 * puller has no meter registry). The puller's builder validates user input; this checks again so a
 * download never starts with a nonsensical setting.
 *
 * @param connections parallel ranged connections per file, at least 1
 * @param partSize bytes of one ranged part, at least 1; files up to this size use one connection
 * @param tick how often progress is reported and cancellation checked while waiting (at most 100 ms
 *     is used)
 * @param syncEveryBytes bytes written between two background fsyncs; 0 = only the final fsync
 * @param bytesCounter bytes downloaded from the Hub
 * @param resumedCounter bytes of partial downloads reused by a resume
 * @param syncedCounter bytes fsynced while the download was still running
 */
public record DownloadSettings(
    int connections,
    long partSize,
    Duration tick,
    long syncEveryBytes,
    @Nullable Counter bytesCounter,
    @Nullable Counter resumedCounter,
    @Nullable Counter syncedCounter) {

  public DownloadSettings {
    if (connections < 1) {
      throw new IllegalArgumentException("connections must be >= 1, got " + connections);
    }
    if (partSize < 1) {
      throw new IllegalArgumentException("partSize must be >= 1, got " + partSize);
    }
    Objects.requireNonNull(tick, "tick");
    if (tick.isNegative()) {
      throw new IllegalArgumentException("tick must not be negative, got " + tick);
    }
    if (syncEveryBytes < 0) {
      throw new IllegalArgumentException("syncEveryBytes must be >= 0, got " + syncEveryBytes);
    }
  }

  /** Milliseconds to wait between two progress and cancel checks: the tick, within 1..100 ms. */
  long waitMillis() {
    return Math.max(1, Math.min(100, tick.toMillis()));
  }
}
