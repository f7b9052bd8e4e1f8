/**
 * Real client libraries (openai-java, LangChain4j, Spring AI) against shimmy-pull: the server jar's
 * front server and the Javalin plugin, with the fake Hugging Face Hub and the fake Shimmy as a real
 * child process.
 */
@NullMarked
package io.github.shimmypull.compat;

import org.jspecify.annotations.NullMarked;
