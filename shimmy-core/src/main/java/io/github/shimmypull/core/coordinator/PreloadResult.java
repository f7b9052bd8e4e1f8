package io.github.shimmypull.core.coordinator;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.pull.ModelRef;
import io.github.shimmypull.core.pull.PullResult;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of preloading one model: exactly one of {@code result} and {@code error} is set.
 *
 * @param ref the model that was asked for
 * @param result what was published (or found present and verified), or null on failure
 * @param error why the model could not be made present, or null on success
 */
public record PreloadResult(
    ModelRef ref, @Nullable PullResult result, @Nullable PullException error) {

  /** Whether the model is present and verified. */
  public boolean succeeded() {
    return error == null;
  }
}
