/** The fake Shimmy's internals: command line, model scan, HTTP server and a minimal JSON codec. */
@NullMarked
package io.github.shimmypull.testkit.internal.shimmy;

import org.jspecify.annotations.NullMarked;
