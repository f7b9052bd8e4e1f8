/** Tests of the server jar's command-line parts. */
@NullMarked
package io.github.shimmypull.server.javalin.internal;

import org.jspecify.annotations.NullMarked;
