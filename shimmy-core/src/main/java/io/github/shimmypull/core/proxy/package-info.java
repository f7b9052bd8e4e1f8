/**
 * The reverse proxy in front of the live Shimmy instance: framework-neutral, streaming both ways.
 */
@NullMarked
package io.github.shimmypull.core.proxy;

import org.jspecify.annotations.NullMarked;
