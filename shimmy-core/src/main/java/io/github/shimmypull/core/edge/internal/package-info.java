/** Netty handlers, upstream connection pool and settings behind {@code ShimmyEdge}. */
@NullMarked
package io.github.shimmypull.core.edge.internal;

import org.jspecify.annotations.NullMarked;
