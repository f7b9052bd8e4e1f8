/** Example: a Spring AI application that uses shimmy-pull through Spring AI's Ollama starter. */
@NullMarked
package io.github.shimmypull.examples.springai;

import org.jspecify.annotations.NullMarked;
