package io.github.shimmypull.supervisor.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stops every Shimmy child still running when the JVM exits normally or on SIGTERM/SIGINT. (A
 * SIGKILL of the JVM runs no hook: the launcher's watchdog covers that case.)
 */
public final class ProcessReaper {

  private static final Set<ShimmyProcess> RUNNING = ConcurrentHashMap.newKeySet();
  private static final Duration HOOK_GRACE = Duration.ofSeconds(2);
  private static volatile boolean hookInstalled;

  private ProcessReaper() {}

  /** Tracks a child until it exits. */
  public static void track(ShimmyProcess process) {
    installHook();
    RUNNING.add(process);
    process.onExit().whenComplete((p, e) -> RUNNING.remove(process));
  }

  private static synchronized void installHook() {
    if (hookInstalled) {
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(ProcessReaper::stopAll, "shimmy-pull-process-reaper"));
    hookInstalled = true;
  }

  private static void stopAll() {
    List<Thread> stoppers = new ArrayList<>();
    for (ShimmyProcess p : List.copyOf(RUNNING)) {
      Thread t = new Thread(() -> p.stop(HOOK_GRACE), "shimmy-pull-reaper-" + p.pid());
      t.start();
      stoppers.add(t);
    }
    for (Thread t : stoppers) {
      try {
        t.join(HOOK_GRACE.toMillis() + 3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
