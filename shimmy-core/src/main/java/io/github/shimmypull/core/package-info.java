/**
 * Types shared by every part of shimmy-pull: failures with their reasons, and Shimmy's model naming
 * rule.
 */
@NullMarked
package io.github.shimmypull.core;

import org.jspecify.annotations.NullMarked;
