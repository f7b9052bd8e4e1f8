/** Which model ids Shimmy will serve from a model directory. */
@NullMarked
package io.github.shimmypull.core.discovery;

import org.jspecify.annotations.NullMarked;
