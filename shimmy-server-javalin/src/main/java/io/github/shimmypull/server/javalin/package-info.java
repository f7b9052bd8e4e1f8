/**
 * The Javalin 7 adapter ({@link io.github.shimmypull.server.javalin.ShimmyPlugin}) and the drop-in
 * server jar ({@link io.github.shimmypull.server.javalin.ShimmyServer}).
 */
@NullMarked
package io.github.shimmypull.server.javalin;

import org.jspecify.annotations.NullMarked;
