package io.github.shimmypull.supervisor.internal;

import io.github.shimmypull.core.discovery.DiscoveryRunner;
import io.github.shimmypull.supervisor.ShimmyLauncher;
import io.github.shimmypull.supervisor.SupervisorEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * Everything the pool and its instances need, as the public builder validated it (see {@code
 * ProcessShimmySupervisor.Builder} for meanings and defaults).
 */
public record PoolSettings(
    Path modelDir,
    ShimmyLauncher launcher,
    boolean blueGreen,
    Duration readyTimeout,
    Duration pollInterval,
    Duration stopGrace,
    Duration drainTimeout,
    Duration initialBackoff,
    Duration maxBackoff,
    int crashLoopCrashes,
    Duration crashLoopWindow,
    Duration failedRetryInterval,
    DiscoveryRunner discovery,
    @Nullable Function<List<String>, @Nullable String> warmUpModel,
    boolean watchdog,
    OkHttpClient http,
    int tailLines,
    int maxLoadedModels,
    long maxLoadedBytes,
    int maxQueue,
    Duration queueTimeout,
    Duration keepAlive,
    Duration livenessInterval,
    Duration livenessTimeout,
    int livenessMisses,
    boolean warmAtStart,
    SupervisorEvents events) {

  /** Whether idle instances are ever stopped by keep-alive (a negative keep-alive means never). */
  boolean keepAliveEnabled() {
    return !keepAlive.isNegative();
  }

  /** Whether the liveness probe runs (a zero interval turns it off). */
  boolean livenessEnabled() {
    return !livenessInterval.isZero() && !livenessInterval.isNegative();
  }
}
