/**
 * Pulling GGUF models from Hugging Face: references, resolution to a pinned commit, verified
 * resumable download and atomic publish.
 */
@NullMarked
package io.github.shimmypull.core.pull;

import org.jspecify.annotations.NullMarked;
