package io.github.shimmypull.core.pull.internal;

import java.io.IOException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A Hub or CDN answer worth retrying: 408, 429 (with its {@code Retry-After}) or 5xx. */
public final class TransientHttpException extends IOException {

  private final int status;
  private final @Nullable Duration retryAfter;

  public TransientHttpException(int status, String message, @Nullable Duration retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public int status() {
    return status;
  }

  public @Nullable Duration retryAfter() {
    return retryAfter;
  }
}
