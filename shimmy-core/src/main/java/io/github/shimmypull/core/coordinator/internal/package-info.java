/**
 * Implementation details of {@code PullCoordinator}: model serving, quarantine and the directory
 * reconciler; not a public API.
 */
@NullMarked
package io.github.shimmypull.core.coordinator.internal;

import org.jspecify.annotations.NullMarked;
