package io.github.shimmypull.server.javalin;

import io.github.shimmypull.server.javalin.support.Api;
import io.github.shimmypull.server.javalin.support.Hub;
import io.github.shimmypull.server.javalin.support.Servers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The setup the end-to-end tests share: a temporary directory with the model directory in it, the
 * fake Hugging Face Hub, and the front server a test starts (closed after each test, then the Hub).
 */
abstract class FrontServerFixture {

  @TempDir Path tmp;
  Path modelDir;
  Hub hub;
  ShimmyServer server;
  Api api;

  @BeforeEach
  void startHub() {
    modelDir = tmp.resolve("models");
    hub = Hub.start();
  }

  @AfterEach
  void stopServerAndHub() {
    if (server != null) {
      server.close();
    }
    hub.close();
  }

  /**
   * Options every server of this test class starts with (a subclass picks another proxy engine).
   */
  List<String> baseOptions() {
    return List.of();
  }

  /**
   * Starts the server jar's front server in this JVM with {@code shimmyCommand} and {@code extra}
   * options.
   */
  void startServer(String shimmyCommand, String... extra) {
    List<String> options = new ArrayList<>(baseOptions());
    options.addAll(List.of(extra));
    server = Servers.serve(modelDir, hub, shimmyCommand, options.toArray(String[]::new));
    api = Servers.api(server);
  }
}
