package io.github.shimmypull.server.javalin;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.edge.ShimmyEdge;
import io.github.shimmypull.core.pull.ModelDirCheck;
import io.github.shimmypull.server.javalin.internal.Cli;
import io.github.shimmypull.server.javalin.internal.JsonErrorHandler;
import io.github.shimmypull.server.javalin.internal.RequestRefusalFilter;
import io.github.shimmypull.server.javalin.internal.ProxyEngine;
import io.github.shimmypull.server.javalin.internal.ServeCommand;
import io.github.shimmypull.supervisor.ShimmyRuntime;
import io.javalin.Javalin;
import jakarta.servlet.DispatcherType;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drop-in server: {@code java -jar shimmy-server.jar [serve|pull|list] [OPTIONS]} (see
 * docs/server.md), and a running front server started with {@link #start(Map, String...)}.
 *
 * <p>A running server is a Javalin app with {@link ShimmyPlugin} over a {@link ShimmyRuntime} it
 * owns, with a Prometheus registry for {@code GET /v1/api/metrics}. With {@code --proxy-engine
 * netty} (the default) a {@link ShimmyEdge} listens on the port: it forwards proxied requests
 * straight to Shimmy on event loops and hands everything else to the app, which then listens on a
 * loopback port. {@link #close()} stops the front server and Shimmy.
 */
public final class ShimmyServer implements AutoCloseable {

  private final Javalin app;
  private final @Nullable ShimmyEdge edge;
  private final ShimmyRuntime runtime;
  private final PrometheusMeterRegistry registry;
  private final String host;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();

  private ShimmyServer(
      Javalin app,
      @Nullable ShimmyEdge edge,
      ShimmyRuntime runtime,
      PrometheusMeterRegistry registry,
      String host) {
    this.app = app;
    this.edge = edge;
    this.runtime = runtime;
    this.registry = registry;
    this.host = host;
  }

  /** Entry point of the server jar; exits with 0, 1 (failure) or 2 (usage error). */
  public static void main(String[] args) {
    Cli.configureLogging(args);
    int code = Cli.execute(args, System.getenv(), System.out, System.err);
    System.exit(code);
  }

  /**
   * Runs a command like {@link #main} does, without exiting the JVM.
   *
   * @return the exit code
   */
  public static int execute(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    return Cli.execute(args, env, out, err);
  }

  /**
   * Starts a front server with {@code serve} options read from {@code args} and {@code env}
   * (environment-variable defaults): listens, pulls the {@code --pull} models, starts Shimmy.
   *
   * @throws picocli.CommandLine.ParameterException on bad options
   */
  public static ShimmyServer start(Map<String, String> env, String... args) {
    return start(Cli.parseServe(env, args), runtime -> {});
  }

  /**
   * {@link #start(Map, String...)} with a last say on the runtime's options (e.g. the puller's
   * retry timing in tests) before it is built.
   */
  public static ShimmyServer start(
      Map<String, String> env, Consumer<ShimmyRuntime.Builder> customizer, String... args) {
    return start(Cli.parseServe(env, args), customizer);
  }

  /** Starts a front server from parsed {@code serve} options. */
  public static ShimmyServer start(ServeCommand options) {
    return start(options, runtime -> {});
  }

  private static ShimmyServer start(ServeCommand options, Consumer<ShimmyRuntime.Builder> customizer) {
    Logger log = LoggerFactory.getLogger(ShimmyServer.class);
    ModelDirCheck.require(options.modelDir, false);
    try {
      ModelDirCheck.require(options.modelDir, true);
    } catch (PullException notWritable) {
      log.warn("{}: pulls, deletes and directory changes will fail; models already there are served",
          notWritable.getMessage());
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ShimmyRuntime.Builder builder =
        ShimmyRuntime.builder()
            .modelDir(options.modelDir)
            .shimmyCommand(options.shimmyCommand)
            .adminToken(options.adminToken)
            .restartMode(options.restartMode)
            .readyTimeout(options.readyTimeout)
            .preload(options.pull)
            .meterRegistry(registry)
            .metricsText(registry::scrape)
            .maxBodyBytes(options.maxBodySize)
            .maxLoadedModels(options.maxLoadedModels)
            .maxQueue(options.maxQueue)
            .queueTimeout(options.queueTimeout)
            .keepAlive(options.keepAlive)
            .defaultModel(options.defaultModel)
            .serviceVersion(version());
    if (options.maxLoadedBytes != null) {
      builder.maxLoadedBytes(options.maxLoadedBytes);
    }
    if (options.hfEndpoint != null) {
      builder.hfEndpoint(options.hfEndpoint);
    }
    if (options.hfToken != null) {
      builder.hfToken(options.hfToken);
    }
    builder.environment(options.environment);
    customizer.accept(builder);
    ShimmyRuntime runtime = builder.build();
    boolean behindEdge = options.proxyEngine == ProxyEngine.NETTY;
    Javalin app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              // Behind the edge the app listens on loopback only, on a free port.
              config.jetty.host = behindEdge ? "127.0.0.1" : options.bind;
              config.jetty.port = behindEdge ? 0 : options.port;
              config.http.maxRequestSize = options.maxBodySize;
              // Errors Jetty answers itself, and requests no route serves, are JSON as well.
              config.jetty.modifyServer(jetty -> jetty.setErrorHandler(new JsonErrorHandler()));
              config.jetty.modifyServletContextHandler(
                  context -> {
                    context.setErrorHandler(new JsonErrorHandler());
                    context.addFilter(
                        RequestRefusalFilter.class, "/*", EnumSet.of(DispatcherType.REQUEST));
                  });
              config.registerPlugin(
                  new ShimmyPlugin(
                      shimmy -> {
                        shimmy.runtime = runtime;
                      }));
            });
    ShimmyEdge edge = null;
    try {
      app.start();
      if (behindEdge) {
        edge =
            ShimmyEdge.builder()
                .supervisor(runtime.supervisor())
                .router(runtime.router())
                .app(URI.create("http://127.0.0.1:" + app.port()))
                .host(options.bind)
                .port(options.port)
                .maxDirectBodyBytes(options.maxBodySize)
                .meterRegistry(registry)
                .build()
                .start();
      }
    } catch (RuntimeException e) {
      app.stop();
      runtime.close();
      registry.close();
      throw e;
    }
    ShimmyServer server = new ShimmyServer(app, edge, runtime, registry, options.bind);
    try {
      log.info("listening on {}", server.url());
      warnIfExposed(log, options);
      runtime.start();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** The port the front server listens on (the real one when started with port 0). */
  public int port() {
    ShimmyEdge front = edge;
    return front != null ? front.port() : app.port();
  }

  /** {@code http://ADDR:PORT} of the front server. */
  public String url() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + shown + ":" + port();
  }

  /** The runtime behind the server: coordinator, supervisor, puller. */
  public ShimmyRuntime runtime() {
    return runtime;
  }

  /** The registry {@code GET /v1/api/metrics} scrapes. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /** Blocks until {@link #close()} has run (from a shutdown hook, on SIGTERM). */
  public void awaitStop() {
    Thread hook = new Thread(this::close, "shimmy-server-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the front server and Shimmy (no child left behind). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (edge != null) {
        edge.close();
      }
      app.stop();
    } finally {
      runtime.close();
      registry.close();
      stopped.countDown();
    }
  }

  /** This library's version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    Properties properties = new Properties();
    try (InputStream in = ShimmyServer.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties.getProperty("version", "unknown");
  }

  private static void warnIfExposed(Logger log, ServeCommand options) {
    if (options.adminToken != null && !options.adminToken.isBlank()) {
      return;
    }
    boolean loopback;
    try {
      loopback = InetAddress.getByName(options.bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      log.warn(
          "bound to {} without --admin-token: anyone who can reach this port can pull and delete"
              + " models; set --admin-token (SHIMMY_PULL_ADMIN_TOKEN) or --bind 127.0.0.1",
          options.bind);
    }
  }
}
