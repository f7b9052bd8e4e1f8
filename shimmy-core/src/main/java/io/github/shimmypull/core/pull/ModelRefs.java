package io.github.shimmypull.core.pull;

import io.github.shimmypull.core.PullException;
import org.jspecify.annotations.Nullable;

/** Parsing and validation behind {@link ModelRef}. */
final class ModelRefs {

  private ModelRefs() {}

  static ModelRef parse(String ref, @Nullable String file, @Nullable String revision) {
    throw new PullException(PullException.Reason.INVALID_REQUEST, "not parsed yet: " + ref);
  }

  static void validate(
      String repo, @Nullable String tag, @Nullable String file, @Nullable String revision) {
    // filled in by the puller work
  }
}
