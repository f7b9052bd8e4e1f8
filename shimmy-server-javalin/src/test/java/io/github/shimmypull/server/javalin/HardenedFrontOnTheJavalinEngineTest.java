package io.github.shimmypull.server.javalin;

import java.util.List;

/**
 * Every {@link HardenedFrontTest} case with Jetty serving the port ({@code --proxy-engine
 * javalin}).
 */
class HardenedFrontOnTheJavalinEngineTest extends HardenedFrontTest {

  @Override
  List<String> baseOptions() {
    return List.of("--proxy-engine", "javalin");
  }
}
