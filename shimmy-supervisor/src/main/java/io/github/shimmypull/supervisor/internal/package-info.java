/** Implementation of the process supervisor: one Shimmy child process, and the JVM-exit reaper. */
@NullMarked
package io.github.shimmypull.supervisor.internal;

import org.jspecify.annotations.NullMarked;
