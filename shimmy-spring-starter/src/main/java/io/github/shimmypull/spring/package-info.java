/**
 * Spring Boot auto-configuration for shimmy-pull: properties, the MVC endpoints, lifecycle, health.
 */
@NullMarked
package io.github.shimmypull.spring;

import org.jspecify.annotations.NullMarked;
