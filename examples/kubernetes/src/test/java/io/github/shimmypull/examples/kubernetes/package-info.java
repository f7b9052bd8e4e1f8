/**
 * Consistency checks of the Kubernetes manifests and the Dockerfile against each other and the
 * server CLI.
 */
@NullMarked
package io.github.shimmypull.examples.kubernetes;

import org.jspecify.annotations.NullMarked;
