/** Implementation details of request routing (the incremental body scanner); not a public API. */
@NullMarked
package io.github.shimmypull.core.routing.internal;

import org.jspecify.annotations.NullMarked;
