package io.github.shimmypull.core.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The background threads of shimmy-pull: daemon threads (they never keep the JVM alive), named for
 * what they do so that a thread dump tells.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /** An unstarted daemon thread named {@code name} running {@code task}. */
  public static Thread thread(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }

  /** A factory of daemon threads all named {@code name}. */
  public static ThreadFactory named(String name) {
    return task -> thread(task, name);
  }

  /**
   * A factory of daemon threads named {@code prefix} followed by the next number of {@code counter}
   * (1, 2, …; a counter shared by several factories keeps the numbers unique across them).
   */
  public static ThreadFactory numbered(String prefix, AtomicInteger counter) {
    return task -> thread(task, prefix + counter.incrementAndGet());
  }
}
