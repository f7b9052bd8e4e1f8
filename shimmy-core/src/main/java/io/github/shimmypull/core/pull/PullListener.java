package io.github.shimmypull.core.pull;

/** Receives the events of a pull as they happen. Must be quick; it runs on the pulling thread. */
@FunctionalInterface
public interface PullListener {

  /** A listener that ignores every event. */
  PullListener NONE = event -> {};

  void onEvent(PullEvent event);
}
