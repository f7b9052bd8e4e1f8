/**
 * Pull jobs on one model directory: the lock, attach, cancel, delete, reconcile and the pull →
 * serve flow.
 */
@NullMarked
package io.github.shimmypull.core.coordinator;

import org.jspecify.annotations.NullMarked;
