package io.github.shimmypull.server.javalin;

import io.github.shimmypull.core.PullException;
import io.github.shimmypull.core.edge.ShimmyEdge;
import io.github.shimmypull.core.pull.ModelDirCheck;
import io.github.shimmypull.server.javalin.internal.Cli;
import io.github.shimmypull.server.javalin.internal.JsonErrorHandler;
import io.github.shimmypull.server.javalin.internal.RequestRefusalFilter;
import io.github.shimmypull.server.javalin.internal.ServeCommand;
import io.github.shimmypull.supervisor.ShimmyComponents;
import io.github.shimmypull.supervisor.ShimmyOptions;
import io.github.shimmypull.supervisor.ShimmyRuntime;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.ResourceLeakDetector;
import jakarta.servlet.DispatcherType;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drop-in server: {@code java -jar shimmy-server.jar [serve|pull|list] [OPTIONS]} (see
 * docs/server.md), and a running front server started with {@link #start(ShimmyOptions, Front)}.
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
    Cli.configureLogging(args); // first: Netty's classes start SLF4J when they load
    leakDetectionOffUnlessConfigured(System.getProperties());
    int code = Cli.execute(args, System.getenv(), System.out, System.err);
    System.exit(code);
  }

  /**
   * The jar's default for Netty's buffer leak detector: off, unless {@code
   * -Dio.netty.leakDetection.level} says otherwise. At Netty's default level it samples buffers and
   * tags every message on every pipeline hop, about 5 % of the edge's CPU per forwarded request
   * (docs/benchmarks.md); the test suite runs it at {@code paranoid} instead. Embedders keep
   * Netty's default: only {@link #main} calls this.
   */
  static void leakDetectionOffUnlessConfigured(Properties properties) {
    if (properties.getProperty("io.netty.leakDetection.level") == null
        && properties.getProperty("io.netty.leakDetectionLevel") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * Runs a command like {@link #main} does, without exiting the JVM.
   *
   * @return the exit code
   */
  public static int execute(
      String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    return Cli.execute(args, env, out, err);
  }

  /**
   * Where a front server listens and what serves its port.
   *
   * @param bind the address of the front server, e.g. {@code 0.0.0.0}
   * @param port its port; 0 picks a free one ({@link #port()} tells which)
   * @param edge true: a {@link ShimmyEdge} (Netty) serves the port and forwards proxied requests
   *     straight to Shimmy, the app listens on a loopback port; false: the Javalin app serves it
   */
  public record Front(String bind, int port, boolean edge) {
    public Front {
      Objects.requireNonNull(bind, "bind");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, not " + port);
      }
    }
  }

  /**
   * Starts a front server with {@code serve} options read from {@code args} and {@code env}
   * (environment-variable defaults): listens, pulls the {@code --pull} models, starts Shimmy.
   *
   * @throws picocli.CommandLine.ParameterException on bad options
   */
  public static ShimmyServer start(Map<String, String> env, String... args) {
    return start(env, runtime -> {}, args);
  }

  /**
   * {@link #start(Map, String...)} with a last say on the runtime's options (e.g. the puller's
   * retry timing in tests) before it is built.
   */
  public static ShimmyServer start(
      Map<String, String> env, Consumer<ShimmyRuntime.Builder> customizer, String... args) {
    ServeCommand serve = Cli.parseServe(env, args);
    return start(serve.toOptions(), serve.front(), env, customizer);
  }

  /**
   * Starts a front server from {@code options}: listens on {@code front}, pulls the {@link
   * ShimmyOptions#pull()} models, starts Shimmy (or fronts {@link ShimmyOptions#shimmyUrl()}).
   * {@code HF_ENDPOINT} and {@code HF_TOKEN} are read from the process environment when the options
   * name no endpoint or token.
   */
  public static ShimmyServer start(ShimmyOptions options, Front front) {
    return start(options, front, System.getenv(), runtime -> {});
  }

  private static ShimmyServer start(
      ShimmyOptions options,
      Front front,
      Map<String, String> env,
      Consumer<ShimmyRuntime.Builder> customizer) {
    Logger log = LoggerFactory.getLogger(ShimmyServer.class);
    ModelDirCheck.require(options.modelDir(), false);
    try {
      ModelDirCheck.require(options.modelDir(), true);
    } catch (PullException notWritable) {
      log.warn(
          "{}: pulls, deletes and directory changes will fail; models already there are served",
          notWritable.getMessage());
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ShimmyRuntime.Builder builder =
        ShimmyRuntime.builder(options)
            .meterRegistry(registry)
            .metricsText(registry::scrape)
            .environment(env);
    customizer.accept(builder);
    ShimmyRuntime runtime = builder.build();
    boolean behindEdge = front.edge();
    long maxBodyBytes = runtime.options().maxBodyBytes();
    Javalin app =
        Javalin.create(
            config -> {
              config.startup.showJavalinBanner = false;
              config.startup.showOldJavalinVersionWarning = false;
              // Behind the edge the app listens on loopback only, on a free port.
              config.jetty.host = behindEdge ? "127.0.0.1" : front.bind();
              config.jetty.port = behindEdge ? 0 : front.port();
              config.http.maxRequestSize = maxBodyBytes;
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
        ShimmyEdge.Builder edgeBuilder =
            ShimmyEdge.builder()
                .supervisor(runtime.supervisor())
                .router(runtime.router())
                .app(URI.create("http://127.0.0.1:" + app.port()))
                .host(front.bind())
                .port(front.port())
                .maxDirectBodyBytes(maxBodyBytes)
                .meterRegistry(registry);
        Duration bodyReadTimeout = runtime.options().bodyReadTimeout();
        if (bodyReadTimeout != null) {
          edgeBuilder.bodyReadTimeout(bodyReadTimeout);
        }
        edge = edgeBuilder.build().start();
      }
    } catch (RuntimeException e) {
      app.stop();
      runtime.close();
      registry.close();
      throw e;
    }
    ShimmyServer server = new ShimmyServer(app, edge, runtime, registry, front.bind());
    try {
      log.info("listening on {}", server.url());
      warnIfExposed(log, options.adminToken(), front.bind());
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

  /** This library's version, e.g. {@code 0.1.0-SNAPSHOT} ({@link ShimmyComponents#version()}). */
  public static String version() {
    return ShimmyComponents.version();
  }

  private static void warnIfExposed(Logger log, @Nullable String adminToken, String bind) {
    if (adminToken != null && !adminToken.isBlank()) {
      return;
    }
    boolean loopback;
    try {
      loopback = InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      loopback = false;
    }
    if (!loopback) {
      log.warn(
          "bound to {} without --admin-token: anyone who can reach this port can pull and delete"
              + " models; set --admin-token (SHIMMY_PULL_ADMIN_TOKEN) or --bind 127.0.0.1",
          bind);
    }
  }
}
