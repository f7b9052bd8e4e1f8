/**
 * Fixtures of {@code ApiListingTest}; this package is @NullMarked, its {@code internal} one is not.
 */
@NullMarked
package io.github.shimmypull.testkit.apifixture;

import org.jspecify.annotations.NullMarked;
