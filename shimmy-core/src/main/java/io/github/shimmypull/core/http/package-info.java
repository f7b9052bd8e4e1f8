/**
 * The framework-neutral HTTP API: adapters hand each request over as an exchange and core answers
 * it.
 */
@NullMarked
package io.github.shimmypull.core.http;

import org.jspecify.annotations.NullMarked;
