package io.github.shimmypull.core;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Every failure of a pull, and of the API around it, with a {@link Reason} that decides its HTTP
 * status and stable error code. Adapters never invent error handling: they map the reason.
 */
public class PullException extends RuntimeException {

  /** Why a pull (or a request to the pull API) failed; each reason has one HTTP status and code. */
  public enum Reason {
    /**
     * The request is malformed: bad JSON, missing or invalid fields, bad reference or file name.
     */
    INVALID_REQUEST(400, "invalid_request"),
    /** A mutating endpoint was called without the right admin token. */
    UNAUTHORIZED(401, "unauthorized"),
    /** The repository is gated and the token has not been granted access. */
    GATED(403, "gated_repo"),
    /** The Hub refused the token (403 without a gated marker). */
    FORBIDDEN(403, "forbidden"),
    /** Repository, revision or file not found (or private without a token). */
    NOT_FOUND(404, "not_found"),
    /** Another pull is running on this model directory. */
    CONFLICT(409, "pull_in_progress"),
    /** The request body is larger than the limit. */
    PAYLOAD_TOO_LARGE(413, "payload_too_large"),
    /** The request body is not JSON. */
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported_media_type"),
    /** The pull would be larger than the configured per-pull size cap. */
    TOO_LARGE(413, "model_too_large"),
    /** The Hub or its CDN failed after retries (5xx, resets, stalls). */
    UPSTREAM(502, "upstream_error"),
    /** The downloaded bytes do not match the expected size or sha256, or are not GGUF. */
    INTEGRITY(502, "integrity_error"),
    /** The Hub rate limited us and retries did not get through. */
    RATE_LIMITED(503, "rate_limited"),
    /** The model could not be made servable: a Shimmy instance did not come up. */
    BACKEND(503, "backend_failed"),
    /** Not enough usable disk space in the model directory. */
    INSUFFICIENT_STORAGE(507, "insufficient_storage"),
    /** The pull was cancelled (the partial is kept for a later resume unless discarded). */
    CANCELLED(499, "cancelled"),
    /** A local I/O failure (disk, permissions) that is not a disk-full condition. */
    IO(500, "io_error");

    private final int httpStatus;
    private final String code;

    Reason(int httpStatus, String code) {
      this.httpStatus = httpStatus;
      this.code = code;
    }

    /** The HTTP status adapters answer with when this failure happens before streaming starts. */
    public int httpStatus() {
      return httpStatus;
    }

    /** The stable machine-readable code in JSON error bodies and error events. */
    public String code() {
      return code;
    }

    /** Whether a retry of the same operation may succeed (used by the puller's retry policy). */
    public boolean transientFailure() {
      return this == UPSTREAM || this == RATE_LIMITED;
    }
  }

  private final Reason reason;
  private final Map<String, Object> details;

  public PullException(Reason reason, String message) {
    this(reason, message, null, Map.of());
  }

  public PullException(Reason reason, String message, @Nullable Throwable cause) {
    this(reason, message, cause, Map.of());
  }

  /**
   * @param details extra JSON fields for the error body (for example the running job on a conflict,
   *     or the available files when a tag matched nothing); values must be JSON-friendly
   */
  public PullException(
      Reason reason, String message, @Nullable Throwable cause, Map<String, Object> details) {
    super(message, cause);
    this.reason = reason;
    this.details = Map.copyOf(details);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * The message given at construction, never null: it is the {@code message} of JSON error bodies
   * and events. (The constructors take a non-null message; {@link Throwable} still declares its own
   * nullable.)
   */
  @Override
  public String getMessage() {
    return String.valueOf(super.getMessage());
  }

  /** Extra fields for the JSON error body; empty when there are none. */
  public Map<String, Object> details() {
    return details;
  }
}
