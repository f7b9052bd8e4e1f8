package io.github.shimmypull.core.supervisor;

import java.util.Locale;

/** The states of a supervised Shimmy backend. */
public enum BackendStatus {
  /** No model yet: Shimmy is not started (it would exit 1). */
  IDLE,
  /** A first instance is starting. */
  STARTING,
  /** An instance serves requests. */
  READY,
  /** A restart is in progress; the old instance (if any) still serves. */
  RESTARTING,
  /** Shimmy crashed; waiting before the next start. */
  BACKING_OFF,
  /** Crash-loop breaker open: Shimmy keeps crashing; retried slowly. */
  FAILED,
  /** Stopped on request. */
  STOPPED,
  /** The Shimmy executable cannot be found or run. */
  UNAVAILABLE;

  /** The wire name: lower case with {@code -}, e.g. {@code backing-off}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
