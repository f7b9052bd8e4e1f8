/** Benchmark mains run by bench/proxy-bench.sh (not tests): the Javalin front with the proxy. */
@NullMarked
package io.github.shimmypull.server.javalin.bench;

import org.jspecify.annotations.NullMarked;
