/** The checked-in public API listing each published module's build compares itself against. */
@NullMarked
package io.github.shimmypull.testkit.internal.api;

import org.jspecify.annotations.NullMarked;
