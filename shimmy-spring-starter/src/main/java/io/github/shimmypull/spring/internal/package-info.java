/**
 * Implementation details of the Spring Boot starter (servlet adapter, lifecycle); not a public API.
 */
@NullMarked
package io.github.shimmypull.spring.internal;

import org.jspecify.annotations.NullMarked;
