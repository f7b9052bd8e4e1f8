/**
 * The contract of a Shimmy backend: lifecycle, state, readiness and leases on the live instance.
 */
@NullMarked
package io.github.shimmypull.core.supervisor;

import org.jspecify.annotations.NullMarked;
