/** Example: a Spring Boot application with its own controller plus the shimmy-pull starter. */
@NullMarked
package io.github.shimmypull.examples.springboot;

import org.jspecify.annotations.NullMarked;
