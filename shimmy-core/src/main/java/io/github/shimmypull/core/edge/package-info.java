/**
 * The optional non-blocking front: a Netty event-loop server that forwards plain proxied requests
 * straight to the live Shimmy instance and hands everything else to the application behind it.
 */
@NullMarked
package io.github.shimmypull.core.edge;

import org.jspecify.annotations.NullMarked;
