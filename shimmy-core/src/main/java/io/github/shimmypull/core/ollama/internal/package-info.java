/** Implementation details of the Ollama API (GGUF header reader, wire shapes); not a public API. */
@NullMarked
package io.github.shimmypull.core.ollama.internal;

import org.jspecify.annotations.NullMarked;
