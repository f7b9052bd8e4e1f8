package io.github.shimmypull.core.proxy.internal;

import io.github.shimmypull.core.supervisor.BackendState;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The message of a 503 for a request no Shimmy instance can take: the failure once, and the reason
 * the backend state knows (the one {@code /v1/health} shows, e.g. "Shimmy executable not found on
 * PATH: shimmyy") when the failure does not already say it. Each new reason is logged at WARN once,
 * not once per request.
 */
public final class UnavailableReasons {

  private static final Logger log = LoggerFactory.getLogger(UnavailableReasons.class);

  private final AtomicReference<@Nullable String> lastLogged = new AtomicReference<>();

  /** The error message for {@code failure} while the backend is in {@code state}. */
  public String message(RuntimeException failure, BackendState state) {
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      message = "no Shimmy instance is ready";
    }
    String reason = state.reason();
    if (reason != null && !reason.isBlank() && !message.contains(reason)) {
      message = message + ": " + reason;
    }
    String logged = lastLogged.get();
    if (!Objects.equals(logged, message) && lastLogged.compareAndSet(logged, message)) {
      log.warn(
          "proxied requests are answered 503: {} (backend {})", message, state.status().wireName());
    }
    return message;
  }
}
