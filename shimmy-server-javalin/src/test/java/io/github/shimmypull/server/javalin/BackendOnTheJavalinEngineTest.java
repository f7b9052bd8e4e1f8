package io.github.shimmypull.server.javalin;

import java.util.List;

/**
 * Every {@link BackendTest} scenario again with {@code --proxy-engine javalin}: the Javalin app on
 * the port, proxying through the blocking {@code ShimmyProxy}, must behave the same as the default
 * Netty edge in front of it.
 */
class BackendOnTheJavalinEngineTest extends BackendTest {

  @Override
  List<String> baseOptions() {
    return List.of("--proxy-engine", "javalin");
  }
}
