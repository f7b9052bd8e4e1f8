/** Example: a Javalin application with its own routes plus the ShimmyPlugin. */
@NullMarked
package io.github.shimmypull.examples.javalin;

import org.jspecify.annotations.NullMarked;
