package io.github.shimmypull.server.javalin.support;

import io.github.shimmypull.server.javalin.ShimmyPlugin;
import io.javalin.Javalin;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;

/**
 * An application that embeds only {@link ShimmyPlugin}: run in a child JVM whose class path lacks
 * Netty and picocli, it prints the status of {@code GET /v1/health} and whether those are loadable.
 */
public final class PluginOnlyMain {

  private PluginOnlyMain() {}

  public static void main(String[] args) throws Exception {
    Javalin app =
        Javalin.create(
                config -> {
                  config.startup.showJavalinBanner = false;
                  config.jetty.host = "127.0.0.1";
                  config.registerPlugin(
                      new ShimmyPlugin(
                          shimmy -> {
                            shimmy.modelDir = Path.of(args[0]);
                            shimmy.shimmyCommand = "no-such-shimmy-executable";
                          }));
                })
            .start(0);
    try {
      HttpURLConnection health =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + app.port() + "/v1/health").toURL().openConnection();
      System.out.println("health " + health.getResponseCode());
      System.out.println("netty " + loadable("io.netty.channel.Channel"));
      System.out.println("picocli " + loadable("picocli.CommandLine"));
    } finally {
      app.stop();
    }
  }

  private static boolean loadable(String name) {
    try {
      Class.forName(name);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
