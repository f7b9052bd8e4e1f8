/**
 * Implementation of the Hugging Face puller: Hub client, quant choice, parted download, sidecars.
 * Not API.
 */
@NullMarked
package io.github.shimmypull.core.pull.internal;

import org.jspecify.annotations.NullMarked;
