/** Runs Shimmy as a supervised child process. */
@NullMarked
package io.github.shimmypull.supervisor;

import org.jspecify.annotations.NullMarked;
