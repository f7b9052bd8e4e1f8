/**
 * Ollama's HTTP API answered by shimmy-pull itself: pull by {@code hf.co/owner/repo:TAG} name,
 * list, show, delete, running models, and chat/generate translated to the model's Shimmy instance.
 */
@NullMarked
package io.github.shimmypull.core.ollama;

import org.jspecify.annotations.NullMarked;
