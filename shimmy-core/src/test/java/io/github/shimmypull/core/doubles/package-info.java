/**
 * Small in-test implementations of the core interfaces (puller, discovery, supervisor, local
 * models) and a JDK HTTP server adapter.
 */
@NullMarked
package io.github.shimmypull.core.doubles;

import org.jspecify.annotations.NullMarked;
