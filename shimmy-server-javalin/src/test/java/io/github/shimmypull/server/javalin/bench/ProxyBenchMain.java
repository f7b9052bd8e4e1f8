package io.github.shimmypull.server.javalin.bench;

import io.github.shimmypull.core.edge.ShimmyEdge;
import io.github.shimmypull.core.proxy.ShimmyProxy;
import io.github.shimmypull.server.javalin.internal.JavalinExchange;
import io.github.shimmypull.server.javalin.support.FixedLeaseSupervisor;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The proxy benchmark's front server: Javalin 7 + {@link JavalinExchange} + {@link ShimmyProxy}
 * with a fixed-lease supervisor pointing at a backend that runs outside (bench/proxy-bench.sh
 * starts an nginx stand-in). Arguments: {@code PORT BACKEND_URL [MODE] [MAX_THREADS]}; MODE {@code
 * proxy} (default) forwards every request, {@code edge} puts {@link ShimmyEdge} on the port in
 * front of the proxying Javalin app (the server jar's layout), {@code static} answers a fixed JSON
 * from Javalin itself (the ceiling of the front server alone).
 */
public final class ProxyBenchMain {

  private static final byte[] MODELS =
      "{\"object\":\"list\",\"data\":[{\"id\":\"bench-model\",\"object\":\"model\",\"owned_by\":\"shimmy\"}]}"
          .getBytes(StandardCharsets.UTF_8);

  private ProxyBenchMain() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    URI backend = URI.create(args[1]);
    String mode = args.length > 2 ? args[2] : "proxy";
    int maxThreads = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    ShimmyProxy proxy = ShimmyProxy.builder().supervisor(new FixedLeaseSupervisor(backend)).build();
    Javalin app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              QueuedThreadPool threads = new QueuedThreadPool(maxThreads, Math.min(8, maxThreads));
              threads.setName("front");
              config.jetty.threadPool = threads;
              for (HandlerType type : HandlerType.commonHttp()) {
                if (mode.equals("static")) {
                  config.routes.addHttpHandler(
                      type,
                      "/*",
                      ctx -> {
                        JavalinExchange exchange = new JavalinExchange(ctx);
                        exchange.status(200);
                        exchange.addResponseHeader("Content-Type", "application/json");
                        exchange.addResponseHeader(
                            "Content-Length", Integer.toString(MODELS.length));
                        exchange.responseBody().write(MODELS);
                      });
                } else {
                  config.routes.addHttpHandler(
                      type, "/*", ctx -> JavalinExchange.handle(ctx, proxy));
                }
              }
            });
    if (mode.equals("edge")) {
      // the server jar's layout: the edge on the public port, the Javalin app on a loopback port
      app.start("127.0.0.1", 0);
      ShimmyEdge edge =
          ShimmyEdge.builder()
              .supervisor(new FixedLeaseSupervisor(backend))
              .app(URI.create("http://127.0.0.1:" + app.port()))
              .port(port)
              .build()
              .start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    edge.close();
                    app.stop();
                  }));
      System.out.println("bench front (edge) listening on " + edge.url() + " -> " + backend);
      return;
    }
    app.start("127.0.0.1", port);
    Runtime.getRuntime().addShutdownHook(new Thread(app::stop));
    System.out.println(
        "bench front ("
            + mode
            + ") listening on http://127.0.0.1:"
            + app.port()
            + " -> "
            + backend);
  }
}
