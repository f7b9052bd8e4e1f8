/**
 * Implementation details of {@code ShimmyHttpApi}: the router, one class per group of endpoints,
 * request bodies, admin auth and the JSON answers; not a public API.
 */
@NullMarked
package io.github.shimmypull.core.http.internal;

import org.jspecify.annotations.NullMarked;
