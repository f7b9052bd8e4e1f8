package io.github.shimmypull.core.supervisor;

import java.util.Locale;

/**
 * The one health policy: what the backend's state means for the service as a whole. Every front
 * reports health through it ({@code /v1/health} in core, the Spring Boot health indicator), so they
 * cannot disagree.
 *
 * <ul>
 *   <li>{@link #OK}: requests are served or can be started on demand: {@code ready}, {@code idle}
 *       (no model yet, or nothing loaded), {@code restarting} (blue-green: the old instance serves
 *       until the new one is ready).
 *   <li>{@link #DEGRADED}: the service takes work (pulls, listings) but a model request may fail or
 *       wait: {@code starting}, {@code backing-off}, {@code unavailable} (no Shimmy executable).
 *   <li>{@link #UNAVAILABLE}: the backend has failed for good (crash-loop breaker open), is
 *       stopped, or the service is shutting down.
 * </ul>
 */
public enum ServiceHealth {
  OK(200),
  DEGRADED(200),
  UNAVAILABLE(503);

  private final int httpStatus;

  ServiceHealth(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  /** The health of a service whose backend is in {@code status}; {@code closing} wins over it. */
  public static ServiceHealth of(BackendStatus status, boolean closing) {
    if (closing) {
      return UNAVAILABLE;
    }
    return switch (status) {
      case READY, IDLE, RESTARTING -> OK;
      case STARTING, BACKING_OFF, UNAVAILABLE -> DEGRADED;
      case FAILED, STOPPED -> UNAVAILABLE;
    };
  }

  /** The status code of {@code /v1/health}: 200, or 503 for {@link #UNAVAILABLE}. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The wire name: {@code ok}, {@code degraded} or {@code unavailable}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
