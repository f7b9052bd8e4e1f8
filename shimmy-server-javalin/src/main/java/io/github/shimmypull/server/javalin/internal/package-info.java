/**
 * Implementation details of the Javalin adapter (the exchange over Javalin's Context); not a public
 * API.
 */
@NullMarked
package io.github.shimmypull.server.javalin.internal;

import org.jspecify.annotations.NullMarked;
