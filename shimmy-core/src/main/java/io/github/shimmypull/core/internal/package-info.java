/** Implementation details of shimmy-core; not a public API. */
@NullMarked
package io.github.shimmypull.core.internal;

import org.jspecify.annotations.NullMarked;
