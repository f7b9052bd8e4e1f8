/**
 * Faithful test doubles for shimmy-pull and its users: a fake Shimmy process and a fake Hugging
 * Face Hub.
 */
@NullMarked
package io.github.shimmypull.testkit;

import org.jspecify.annotations.NullMarked;
