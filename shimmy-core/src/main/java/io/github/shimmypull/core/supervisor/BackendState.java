package io.github.shimmypull.core.supervisor;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of the supervised backend.
 *
 * @param status the state
 * @param pid pid of the live (or starting) Shimmy process, or null
 * @param port port of the live instance, or null
 * @param restarts how many times Shimmy was (re)started after the first start
 * @param lastExit exit code of the last instance that ended, or null
 * @param reason why the backend is in this state when it is not healthy, or null
 * @param models ids the live instance serves (empty when none)
 * @param outputTail the last lines of the child's output, oldest first
 */
public record BackendState(
    BackendStatus status,
    @Nullable Long pid,
    @Nullable Integer port,
    int restarts,
    @Nullable Integer lastExit,
    @Nullable String reason,
    List<String> models,
    List<String> outputTail) {

  public BackendState {
    models = List.copyOf(models);
    outputTail = List.copyOf(outputTail);
  }

  /** A state with nothing but a status and a reason. */
  public static BackendState of(BackendStatus status, @Nullable String reason) {
    return new BackendState(status, null, null, 0, null, reason, List.of(), List.of());
  }
}
