package io.github.shimmypull.spring.internal;

import io.github.shimmypull.core.coordinator.PreloadResult;
import io.github.shimmypull.core.coordinator.PullCoordinator;
import io.github.shimmypull.supervisor.ShimmyComponents;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts Shimmy with the application context and stops it (and every descendant process) when the
 * context closes: preload the declared models, then start the coordinator (supervisor and directory
 * watcher). Runs after the web server started, so the pull API and health answer while the preload
 * downloads, and stops after the web server's graceful shutdown, so requests in flight on Shimmy
 * finish first.
 */
public final class ShimmyLifecycle implements SmartLifecycle {

  /**
   * After the web server starts (Boot: DEFAULT - 2048), before its graceful shutdown (DEFAULT -
   * 1024).
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

  private static final Logger log = LoggerFactory.getLogger(ShimmyLifecycle.class);

  private final PullCoordinator coordinator;
  private final List<String> preload;
  private volatile boolean running;

  /**
   * @param coordinator the coordinator to preload with, start and close
   * @param preload the models to make present before Shimmy starts; one that cannot be made present
   *     fails the start ({@link ShimmyComponents#preload}), as it does in the server jar
   */
  public ShimmyLifecycle(PullCoordinator coordinator, List<String> preload) {
    this.coordinator = coordinator;
    this.preload = List.copyOf(preload);
  }

  @Override
  public void start() {
    long started = System.nanoTime();
    if (!preload.isEmpty()) {
      List<PreloadResult> results = ShimmyComponents.preload(coordinator, preload);
      log.info("preloaded {} models into {}", results.size(), coordinator.modelDir());
    }
    coordinator.start();
    running = true;
    log.info(
        "Shimmy backend {} after {} ms",
        coordinator.supervisor().state().status().wireName(),
        (System.nanoTime() - started) / 1_000_000);
  }

  @Override
  public void stop() {
    running = false;
    coordinator.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
