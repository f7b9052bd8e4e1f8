/**
 * Request routing by model: which Shimmy instance a request goes to, read from the {@code model} of
 * its JSON body (a bounded prefix), and the OpenAI {@code stream: false} default. Used by every
 * front: {@link io.github.shimmypull.core.proxy.ShimmyProxy} and {@link
 * io.github.shimmypull.core.edge.ShimmyEdge}.
 */
@NullMarked
package io.github.shimmypull.core.routing;

import org.jspecify.annotations.NullMarked;
