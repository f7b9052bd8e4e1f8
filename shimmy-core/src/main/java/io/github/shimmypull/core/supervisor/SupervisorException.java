package io.github.shimmypull.core.supervisor;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** A failure of the Shimmy backend: it is not available, did not start, or did not become ready. */
public class SupervisorException extends RuntimeException {

  /** Why the backend failed. */
  public enum Reason {
    /** No live instance to send a request to (idle, starting, crashed, stopped). */
    NO_BACKEND,
    /** The Shimmy executable cannot be found or run. */
    EXECUTABLE_NOT_FOUND,
    /** The child exited before it became ready. */
    EXITED,
    /** The child did not become ready (or list the expected ids) in time. */
    READY_TIMEOUT,
    /** The supervisor is stopped or stopping. */
    STOPPED,
    /** The crash-loop breaker is open. */
    FAILED,
    /** The request names a model that is not in the model directory (nothing is started). */
    MODEL_NOT_FOUND,
    /** No room for the model's instance: the wait queue is full, or the wait ended while queued. */
    OVERLOADED;

    /** The HTTP status a front answers with: 404 for MODEL_NOT_FOUND, else 503. */
    public int httpStatus() {
      return this == MODEL_NOT_FOUND ? 404 : 503;
    }

    /** The stable wire code of the JSON error. */
    public String code() {
      return switch (this) {
        case NO_BACKEND, EXECUTABLE_NOT_FOUND, STOPPED -> "backend_unavailable";
        case EXITED, READY_TIMEOUT, FAILED -> "backend_failed";
        case MODEL_NOT_FOUND -> "model_not_found";
        case OVERLOADED -> "overloaded";
      };
    }
  }

  private final Reason reason;
  private final @Nullable Integer exitCode;
  private final List<String> outputTail;

  public SupervisorException(Reason reason, String message) {
    this(reason, message, null, List.of(), null);
  }

  public SupervisorException(
      Reason reason,
      String message,
      @Nullable Integer exitCode,
      List<String> outputTail,
      @Nullable Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.exitCode = exitCode;
    this.outputTail = List.copyOf(outputTail);
  }

  public Reason reason() {
    return reason;
  }

  /**
   * The message given at construction, never null: fronts put it in JSON error bodies and
   * supervisor logs. (The constructors take a non-null message; {@link Throwable} still declares
   * its own nullable.)
   */
  @Override
  public String getMessage() {
    return String.valueOf(super.getMessage());
  }

  /** Exit code of the child when it exited, else null. */
  public @Nullable Integer exitCode() {
    return exitCode;
  }

  /** The last lines of the child's output, oldest first. */
  public List<String> outputTail() {
    return outputTail;
  }
}
