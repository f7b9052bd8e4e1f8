/**
 * Implementation details of the reverse proxy (header filtering, streamed bodies); not a public
 * API.
 */
@NullMarked
package io.github.shimmypull.core.proxy.internal;

import org.jspecify.annotations.NullMarked;
