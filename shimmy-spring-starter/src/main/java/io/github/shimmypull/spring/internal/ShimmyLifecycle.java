package io.github.shimmypull.spring.internal;

import io.github.shimmypull.core.supervisor.ShimmySupervisor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts Shimmy with the application context and stops it (and every descendant process) when the
 * context closes. Runs after the web server started, so the pull API and health answer while the
 * declarative preload downloads, and stops after the web server's graceful shutdown, so requests in
 * flight on Shimmy finish first.
 */
public final class ShimmyLifecycle implements SmartLifecycle {

  /** After the web server starts (Boot: DEFAULT - 2048), before its graceful shutdown (DEFAULT - 1024). */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

  private static final Logger log = LoggerFactory.getLogger(ShimmyLifecycle.class);

  private final ShimmySupervisor supervisor;
  private final Runnable preload;
  private volatile boolean running;

  /**
   * @param supervisor the backend to start and stop
   * @param preload run before the first start: makes the declared models present
   */
  public ShimmyLifecycle(ShimmySupervisor supervisor, Runnable preload) {
    this.supervisor = supervisor;
    this.preload = preload;
  }

  @Override
  public void start() {
    long started = System.nanoTime();
    preload.run();
    supervisor.start();
    running = true;
    log.info(
        "Shimmy backend started as {} in {} ms",
        supervisor.state().status().wireName(),
        (System.nanoTime() - started) / 1_000_000);
  }

  @Override
  public void stop() {
    running = false;
    supervisor.stop();
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
