/** Example: shimmy-pull embedded in a plain Java program, without a web framework. */
@NullMarked
package io.github.shimmypull.examples.embedded;

import org.jspecify.annotations.NullMarked;
