/**
 * Fixtures of the end-to-end tests: the fake Hub, the server in this JVM or a child JVM, an HTTP
 * client.
 */
@NullMarked
package io.github.shimmypull.server.javalin.support;

import org.jspecify.annotations.NullMarked;
