package io.github.shimmypull.core.pull;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A handle that cancels a running pull from another thread. The partial download is kept for a
 * later resume unless the cancellation asks to discard it. Interrupting the pulling thread cancels
 * too.
 */
public final class PullCancellation {

  private volatile boolean cancelled;
  private volatile boolean discard;
  private final List<Runnable> callbacks = new CopyOnWriteArrayList<>();

  /** Cancels; the partial stays on disk for a later resume. */
  public void cancel() {
    cancel(false);
  }

  /** Cancels; with {@code discardPartial} the partial files are deleted too. */
  public void cancel(boolean discardPartial) {
    this.discard = this.discard || discardPartial;
    this.cancelled = true;
    callbacks.forEach(Runnable::run);
  }

  public boolean isCancelled() {
    return cancelled || Thread.currentThread().isInterrupted();
  }

  public boolean discardPartial() {
    return discard;
  }

  /**
   * Runs {@code callback} on cancel (at once if already cancelled), e.g. to cancel an HTTP call.
   */
  public void onCancel(Runnable callback) {
    callbacks.add(callback);
    if (cancelled) {
      callback.run();
    }
  }
}
