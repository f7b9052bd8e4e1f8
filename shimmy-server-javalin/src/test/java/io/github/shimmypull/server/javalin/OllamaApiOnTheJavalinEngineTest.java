package io.github.shimmypull.server.javalin;

import java.util.List;

/** {@link OllamaApiEndToEndTest} again with {@code --proxy-engine javalin}: the same answers. */
class OllamaApiOnTheJavalinEngineTest extends OllamaApiEndToEndTest {

  @Override
  List<String> baseOptions() {
    return List.of("--proxy-engine", "javalin");
  }
}
